/**
 * Issue #18 from the operator's terminal, against the local stack and its WeChat emulator:
 * `mpfleet register` creates a mini-program for a merchant who has none, with onboarding options
 * (name, avatar file, introduction, category, configuration and privacy guide files); once the
 * legal representative confirms in WeChat (the emulator's admin API), `registrations show` lists
 * every onboarding step done and what comes next. `basic-info` sets a tenant's name, avatar and
 * introduction, and shows a rename WeChat rejected with its reason; `categories` lists WeChat's
 * catalogue, adds a plain category and a sensitive one with its document, shows a rejection's
 * reason, and removes one. Usage mistakes exit 2 before any request; the API's refusals exit 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrationMessageWithFlags } from '../../cli/commands/registrations';
import type { RegistrationView } from '../../cli/onboarding';
import { avatarPng } from '../../local/emulator/avatar';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';
import { runCli, type RunOptions } from './run-cli';

let t: TestStack;
let dir: string;
const file = (name: string) => path.join(dir, name);

const cli = (argv: string[], options: RunOptions = {}) =>
  runCli(argv, { ...options, env: { MPFLEET_URL: t.stack.url, MPFLEET_TOKEN: t.stack.operatorToken, ...options.env } });

/** A company the emulator accepts: a unified social credit code, a WeChat ID and its real name. */
const company = (n: number) => ({
  name: `示例命令行第${n}有限公司`,
  code: ['91440101MA59PY8X4E', '91310110086172478X', '91110000600037341L', '91330106MA2KD8QX1C'][n]!,
  wechat: `cli_legal_${n}0`,
  legalName: `法人${n}`,
});
const enterpriseArgs = (n: number) => {
  const c = company(n);
  return ['register', 'enterprise', '--name', c.name, '--code', c.code, '--code-type', '1', '--legal-wechat', c.wechat, '--legal-name', c.legalName];
};

const show = async (id: string) => JSON.parse((await cli(['registrations', 'show', id, '--json'])).stdout) as RegistrationView;

/** Confirms company `n`'s registration in WeChat and waits until its mini-program is an active tenant. */
async function confirm(n: number, id: string): Promise<string> {
  await t.admin('/registrations/confirm', { name: company(n).name, legal_persona_wechat: company(n).wechat });
  return t.until(async () => {
    const view = await show(id);
    return view.appid && (await services().tenants.get(view.appid))?.status === 'active' ? view.appid : undefined;
  }, 20_000);
}

const registeredId = (stdout: string) => /^registration (r-[0-9a-z]+-[0-9a-f]{8}) \(/m.exec(stdout)?.[1];

beforeAll(async () => {
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  dir = mkdtempSync(path.join(tmpdir(), 'mpfleet-cli-onboarding-'));
  writeFileSync(file('avatar.png'), avatarPng('wx00000000000000a1'));
  writeFileSync(file('licence.png'), avatarPng('wx00000000000000b2'));
  writeFileSync(file('notes.txt'), 'not an image');
  writeFileSync(file('config.json'), JSON.stringify({ ext: { shopName: '示例点餐' } }));
  writeFileSync(file('privacy.json'), JSON.stringify({ owner_setting: { contact_email: 'privacy@shop.example.com', notice_method: '弹窗提示' }, setting_list: [{ privacy_key: 'UserInfo', privacy_text: '登录并展示会员信息' }] }));
  writeFileSync(file('broken.json'), '{"ext": ');
  t = await startTestStack({ emulator: { miniPrograms: 1 } });
  await t.until(async () => services().tickets.latest());
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mpfleet register / registrations', () => {
  let id: string;

  it('register enterprise with onboarding options prints the id, the state, the pending steps and what comes next', async () => {
    const created = await cli([
      ...enterpriseArgs(0),
      '--nickname', '示例点餐',
      '--avatar', file('avatar.png'),
      '--intro', '扫码点餐、外卖自取，一家好店的小程序',
      '--category', '220:688',
      '--config', file('config.json'),
      '--privacy', file('privacy.json'),
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    id = registeredId(created.stdout)!;
    expect(id, created.stdout).toBeDefined();
    expect(created.stdout).toContain(`registration ${id} (enterprise: ${company(0).name})`);
    expect(created.stdout).toMatch(/^ {2}status +awaiting_confirmation$/m);
    expect(created.stdout).toMatch(/^onboarding: waiting_for_mini_program$/m);
    for (const title of ['configuration (ext_json fragment)', 'avatar', 'introduction', 'name', 'service categories', 'privacy guide']) {
      expect(created.stdout).toMatch(new RegExp(`^ {2}${title.replace(/[()]/g, '\\$&')} +· pending`, 'm'));
    }
    expect(created.stdout).toMatch(new RegExp(`^next: the legal representative \\(${company(0).wechat}\\) confirms in WeChat`, 'm'));

    const listed = await cli(['registrations']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/^ID\s+KIND\s+SUBJECT\s+STATUS\s+APPID\s+ONBOARDING\s+CREATED$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+enterprise\\s+${company(0).name}\\s+awaiting_confirmation\\s+-\\s+waiting_for_mini_program\\s+\\d{4}-`, 'm'));
  });

  it('once the legal representative confirms, registrations show lists every onboarding step done, the appid and the next step', async () => {
    const appid = await confirm(0, id);
    await t.until(async () => {
      const onboarding = (await show(id)).onboarding;
      if (onboarding?.state === 'needs_attention') throw new Error(`onboarding failed: ${JSON.stringify(onboarding)}`);
      return onboarding?.state === 'done' || undefined;
    }, 30_000);

    const shown = await cli(['registrations', 'show', id]);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^ {2}status +created$/m);
    expect(shown.stdout).toMatch(new RegExp(`^ {2}appid +${appid}$`, 'm'));
    expect(shown.stdout).toMatch(/^ {2}WeChat +status 0/m);
    expect(shown.stdout).toMatch(/^onboarding: done$/m);
    expect(shown.stdout).toMatch(/^ {2}STEP\s+STATE\s+AT\s+MESSAGE$/m);
    for (const title of ['avatar', 'introduction', 'name', 'service categories', 'privacy guide']) expect(shown.stdout).toMatch(new RegExp(`^ {2}${title} +✓ done +\\d{4}-`, 'm'));
    expect(shown.stdout).not.toMatch(/pending|failed/);
    expect(shown.stdout).toMatch(new RegExp(`^next: nothing: ${appid} is a tenant with its onboarding applied`, 'm'));

    expect((await cli(['registrations', '--status', 'created'])).stdout).toContain(id);
    expect((await cli(['registrations', '--status', 'failed'])).stdout).toMatch(/^no failed registrations$/m);
    const json = JSON.parse((await cli(['registrations', '--json'])).stdout) as { registrations: RegistrationView[] };
    expect(json.registrations.find((r) => r.id === id)).toMatchObject({ status: 'created', appid, onboarding: { state: 'done' } });

    // Nothing failed: the API's 409, exit 1 with its code and message.
    const retry = await cli(['registrations', 'retry', id]);
    expect(retry.code).toBe(1);
    expect(retry.stdout).toBe('');
    expect(retry.stderr).toMatch(/^error: nothing_to_retry: .+\n$/);
  }, 60_000);

  it('search asks WeChat how a registration nobody confirmed yet stands; a WeChat refusal exits 1 with its reason', async () => {
    const pending = await cli(enterpriseArgs(1));
    expect(pending).toMatchObject({ code: 0, stderr: '' });
    expect(pending.stdout).toMatch(/^onboarding: none/m);
    const pendingId = registeredId(pending.stdout)!;
    const searched = await cli(['registrations', 'search', pendingId]);
    expect(searched).toMatchObject({ code: 0, stderr: '' });
    expect(searched.stdout).toMatch(/^at WeChat: .+/);
    expect(searched.stdout).toContain(`registration ${pendingId}`);

    // The same subject again within 24 h: WeChat refuses (89249), nothing is recorded.
    const again = await cli(enterpriseArgs(1));
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^error: wechat_89249: WeChat refused the registration: .+\n$/);
  });
});

describe('register personal / trial', () => {
  it('a step that cannot be applied shows failed with why, the onboarding needs attention; retry queues it again', async () => {
    const created = await cli(['register', 'personal', '--idname', '张三', '--wxuser', 'cli_person_01', '--intro', '上门取送的洗衣小程序', '--category', '220:690']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const id = registeredId(created.stdout)!;
    expect(created.stdout).toContain(`registration ${id} (personal: 张三 (cli_person_01))`);
    const confirmAt = /^ {2}confirm at +(\S+)$/m.exec(created.stdout)?.[1];
    expect(confirmAt, created.stdout).toMatch(/^https?:\/\//);
    expect(created.stdout).toMatch(/^next: the user confirms at /m);

    const { taskId } = await show(id);
    await t.admin('/registrations/confirm', { taskId });
    // 餐饮服务 > 食品销售 needs its licence: the categories step fails with why, the introduction is set.
    const failed = await t.until(async () => ((await show(id)).onboarding?.state === 'needs_attention' ? cli(['registrations', 'show', id]) : undefined), 30_000);
    expect(failed.code).toBe(0);
    expect(failed.stdout).toMatch(/^onboarding: needs_attention$/m);
    expect(failed.stdout).toMatch(/^ {2}introduction +✓ done /m);
    expect(failed.stdout).toMatch(/^ {2}service categories +✗ failed +\S+ +.*《食品经营许可证》/m);
    expect(failed.stdout).toMatch(/^next: fix what the failed onboarding steps name/m);
    expect((await cli(['registrations'])).stdout).toMatch(new RegExp(`^${id}\\s+personal\\s+张三 \\(cli_person_01\\)\\s+created\\s+wx[0-9a-f]{16}\\s+needs_attention\\s`, 'm'));

    const retried = await cli(['registrations', 'retry', id]);
    expect(retried).toMatchObject({ code: 0, stderr: '' });
    expect(retried.stdout).toMatch(new RegExp(`^onboarding of ${id} queued again`));
    // The plan still lacks the licence: the step fails again, for the same reason.
    await t.until(async () => (await show(id)).onboarding?.state === 'needs_attention' || undefined, 30_000);
  }, 60_000);

  it('register trial prints the link the founder confirms at; search is not offered for a trial (exit 1)', async () => {
    const created = await cli(['register', 'trial', '--name', '小店试用', '--openid', 'o-founder-cli-1']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const id = registeredId(created.stdout)!;
    expect(created.stdout).toContain(`registration ${id} (trial: 小店试用)`);
    expect(created.stdout).toMatch(/^ {2}confirm at +https?:\/\/\S+$/m);
    expect(created.stdout).toMatch(/^next: the founder confirms at /m);
    const search = await cli(['registrations', 'search', id]);
    expect(search.code).toBe(1);
    expect(search.stderr).toMatch(/^error: search_not_supported: .+\n$/);
  });
});

describe('mpfleet basic-info / categories', () => {
  let appid: string;

  beforeAll(async () => {
    const created = await cli(enterpriseArgs(2));
    appid = await confirm(2, registeredId(created.stdout)!);
  }, 30_000);

  it('basic-info sets the avatar, introduction and name; a protected name needs --license; a rejected rename shows its reason', async () => {
    const needsProof = await cli(['basic-info', appid, '--nickname', '腾讯示例旗舰店', '--intro', '不会被设置的介绍']);
    expect(needsProof.code).toBe(1);
    expect(needsProof.stderr).toMatch(/^error: nickname_needs_materials: .*--license <image>.*\n$/);

    const set = await cli(['basic-info', appid, '--nickname', '示例洗衣', '--avatar', file('avatar.png'), '--intro', '上门取送的洗衣小程序']);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(new RegExp(`^${appid}: basic info applied at WeChat$`, 'm'));
    expect(set.stdout).toMatch(/^ {2}avatar +set$/m);
    expect(set.stdout).toMatch(/^ {2}introduction +set$/m);
    expect(set.stdout).toMatch(/^ {2}name +set$/m);

    const review = await cli(['basic-info', appid, '--nickname', '中国示例官方洗衣', '--license', file('licence.png')]);
    expect(review).toMatchObject({ code: 0, stderr: '' });
    expect(review.stdout).toMatch(/^ {2}name +in review: "中国示例官方洗衣" \(audit \d+\); WeChat pushes its decision/m);

    const reason = '名称含有“中国”，需提供主管部门批准文件';
    await t.admin('/finish-nickname-audit', { appid, outcome: 'reject', reason });
    const shown = await t.until(async () => {
      const result = await cli(['basic-info', appid]);
      return result.stdout.includes('rejected') ? result : undefined;
    }, 20_000);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^ {2}name +示例洗衣$/m);
    expect(shown.stdout).toMatch(/^ {2}introduction +上门取送的洗衣小程序$/m);
    expect(shown.stdout).toContain(`rename to "中国示例官方洗衣" (audit `);
    expect(shown.stdout).toContain(`rejected: ${reason}`);
  }, 60_000);

  it('categories lists the catalogue, adds a plain one and a sensitive one with its document, shows a rejection reason, removes one', async () => {
    const empty = await cli(['categories', appid]);
    expect(empty).toMatchObject({ code: 0, stderr: '' });
    expect(empty.stdout).toMatch(new RegExp(`^${appid}: 0 categories`));

    const available = await cli(['categories', appid, '--available']);
    expect(available).toMatchObject({ code: 0, stderr: '' });
    expect(available.stdout).toMatch(/^IDS\s+CATEGORY\s+REVIEW\s+DOCUMENTS\s+SET$/m);
    expect(available.stdout).toMatch(/^220:688\s+餐饮服务 > 点餐平台\s+no\s+-\s+-$/m);
    expect(available.stdout).toMatch(/^220:690\s+餐饮服务 > 食品销售\s+needs review\s+《食品经营许可证》\s+-$/m);

    const plain = await cli(['categories', appid, '--add', '220:688']);
    expect(plain).toMatchObject({ code: 0, stderr: '' });
    expect(plain.stdout).toMatch(/^added 餐饮服务 > 点餐平台 \(220:688\): approved$/m);

    const withoutDoc = await cli(['categories', appid, '--add', '220:690']);
    expect(withoutDoc.code).toBe(1);
    expect(withoutDoc.stderr).toMatch(/^error: qualifications_missing: .*《食品经营许可证》.*--doc.*\n$/);

    const sensitive = await cli(['categories', appid, '--add', '220:690', '--doc', `《食品经营许可证》=${file('licence.png')}`]);
    expect(sensitive).toMatchObject({ code: 0, stderr: '' });
    expect(sensitive.stdout).toMatch(/^added 餐饮服务 > 食品销售 \(220:690\): in review at WeChat/m);
    expect(sensitive.stdout).toMatch(/^餐饮服务 > 食品销售\s+220:690\s+in_review\s+-$/m);

    const reason = '许可证已过期，请上传有效期内的证件';
    await t.admin('/finish-category-audit', { appid, first: 220, second: 690, outcome: 'reject', reason });
    const rejected = await t.until(async () => {
      const result = await cli(['categories', appid]);
      return /220:690\s+rejected/.test(result.stdout) ? result : undefined;
    }, 20_000);
    expect(rejected.stdout).toMatch(new RegExp(`^餐饮服务 > 食品销售\\s+220:690\\s+rejected\\s+${reason}$`, 'm'));
    expect(rejected.stdout).toContain('a rejected category can be added again');

    const removed = await cli(['categories', appid, '--remove', '220:688']);
    expect(removed).toMatchObject({ code: 0, stderr: '' });
    expect(removed.stdout).toMatch(/^removed 220:688$/m);
    expect(removed.stdout).not.toMatch(/^餐饮服务 > 点餐平台/m);
    const gone = await cli(['categories', appid, '--remove', '220:688']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: category_not_set: .+\n$/);
  }, 60_000);
});

describe('usage mistakes', () => {
  it('exit 2 before any request, naming the flag: nothing is registered or changed', async () => {
    const appid = 'wx0123456789abcdef';
    const before = await t.snapshot();
    const usage: [string[], RegExp][] = [
      [[...enterpriseArgs(3).filter((_, i, all) => all[i - 1] !== '--code-type' && all[i] !== '--code-type'), '--code-type', '4'], /--code-type.*must be 1 .*, 2 .* or 3/],
      [[...enterpriseArgs(3), '--category', 'food'], /"food" is not <first>:<second>/],
      [[...enterpriseArgs(3), '--category', '220:688', '--category', '220:688'], /220:688 is named twice/],
      [[...enterpriseArgs(3), '--avatar', file('notes.txt')], /--avatar: .*notes\.txt is not a PNG, JPEG, GIF or BMP image/],
      [[...enterpriseArgs(3), '--avatar', file('missing.png')], /--avatar: cannot read .*missing\.png: ENOENT/],
      [[...enterpriseArgs(3), '--intro', 'ab'], /the introduction must be 4 to 120 characters, got 2/],
      [[...enterpriseArgs(3), '--config', file('broken.json')], /broken\.json is not JSON/],
      [[...enterpriseArgs(3), '--license', file('licence.png')], /--license and --id-card prove a name: they go with --nickname/],
      [[...enterpriseArgs(3), '--name', ' '], /--name .* must not be empty/],
      [enterpriseArgs(3).slice(0, -2), /required option '--legal-name <name>'/],
      [['register', 'trial', '--name', '小店', '--openid', 'o-founder', '--nickname', '小店点餐'], /--nickname: a trial mini-program is named after --name/],
      [['register', 'personal', '--idname', '张三'], /required option '--wxuser <wechat-id>'/],
      [['register', 'company', '--name', 'x'], /unknown command 'company'/],
      [['registrations', 'show', 'r-123'], /"r-123" is not a registration id/],
      [['registrations', '--status', 'done'], /Allowed choices are awaiting_confirmation, created, failed/],
      [['basic-info', 'wx123', '--intro', '四个字的介绍'], /"wx123" is not an appid/],
      [['basic-info', appid, '--license', file('licence.png')], /--license and --id-card prove a name: they go with --nickname/],
      [['basic-info', appid, '--avatar', file('notes.txt')], /--avatar: .* is not a PNG/],
      [['categories', appid, '--add', '220'], /"220" is not <first>:<second>/],
      [['categories', appid, '--doc', `x=${file('licence.png')}`], /--doc .* goes with --add/],
      [['categories', appid, '--add', '220:690', '--doc', 'no-equals-sign'], /is not "<document name>=<image file>"/],
      [['categories', appid, '--add', '220:688', '--remove', '220:688'], /one change at a time/],
      [['categories', appid, '--add', '220:690', '--doc', `《食品经营许可证》=${file('notes.txt')}`], /--doc "《食品经营许可证》": .* is not a PNG/],
    ];
    for (const [argv, message] of usage) {
      const result = await cli(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stdout, argv.join(' ')).toBe('');
      expect(result.stderr, argv.join(' ')).toMatch(/^error: /);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it("the API's refusals exit 1 naming the flag: an invalid privacy guide, an unknown category, a WeChat ID WeChat refuses", async () => {
    writeFileSync(file('bad-privacy.json'), JSON.stringify({ setting_list: 'everything' }));
    const privacy = await cli([...enterpriseArgs(3), '--privacy', file('bad-privacy.json')]);
    expect(privacy.code).toBe(1);
    expect(privacy.stderr).toMatch(/^error: validation_failed: --privacy file: .+\n$/);

    const badId = await cli(['register', 'personal', '--idname', '张三', '--wxuser', '1-not-a-wechat-id']);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/^error: wechat_86004: .+\n$/);
    expect((await cli(['registrations', '--json'])).stdout).not.toContain('1-not-a-wechat-id');
  });
});

describe("the API's field names as the flags typed", () => {
  it.each([
    ['legal_persona_wechat: String must contain at least 1 character(s)', '--legal-wechat: String must contain at least 1 character(s)'],
    ['code_type: Invalid input', '--code-type: Invalid input'],
    ['onboarding.signature: Too small', '--intro: Too small'],
    ['signature: Too small', '--intro: Too small'],
    ['onboarding.nickName: Too big', '--nickname: Too big'],
    ['onboarding.nicknameMaterials.license: is not a PNG, JPEG, GIF or BMP image', '--license: is not a PNG, JPEG, GIF or BMP image'],
    ['categories.1.first: Too small', '--category (the 2nd) first: Too small'],
    ['onboarding.config.window.navigationBarTitleText: Expected string', '--config file: window.navigationBarTitleText: Expected string'],
    ['privacy.setting_list: Expected array', '--privacy file: setting_list: Expected array'],
    ['body: Invalid input', 'body: Invalid input'],
  ])('%s', (message, expected) => {
    expect(registrationMessageWithFlags(message)).toBe(expected);
  });
});
