/**
 * The emulator keeps its state in a folder when given one (`stateDir`; `npm start` and
 * `npm run emulator` use <DATA_DIR>/emulator/): a reopened emulator continues where the last one
 * stopped — tokens, authorizations, templates, releases, gray plans, audits under review and their
 * pushes, quotas — even after a `kill -9`; `--reset` starts clean.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMULATOR_PLATFORM } from '../../../local/emulator/fixtures';
import { STATE_FILE, StateDirInUseError } from '../../../local/emulator/persistence';
import type { Emulator, EmulatorOptions } from '../../../local/emulator/server';
import { ResetRefusedError, resetDataDir } from '../../../local/stack';
import { services } from '../../../shared/services';
import { authorizeTenants, startTestStack } from '../../support/stack';
import { admin, authorizeMiniProgram, callApi, componentToken, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Authorized, CallOptions, Receiver, WeChatAnswer } from './helpers';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The project's pinned node (package.json devDependencies), as `npm start` runs it. */
const NODE = existsSync(path.join(ROOT, 'node_modules', '.bin', 'node')) ? path.join(ROOT, 'node_modules', '.bin', 'node') : process.execPath;

const dirs: string[] = [];
function tempDir(prefix = 'mpfleet-emulator-state-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const extJson = (appid: string) => JSON.stringify({ extEnable: true, extAppid: appid });
const pushFor = (appid: string, event: string) => (request: { path: string; query: Record<string, string>; body: string }) =>
  request.path === `/wechat/callback/${appid}` && isPushOf(event)({ method: 'POST', ...request });

describe('emulator state across a restart', () => {
  let receiver: Receiver;
  let emulator: Emulator | undefined;
  let stateDir: string;

  beforeEach(async () => {
    receiver = await startReceiver();
    stateDir = tempDir();
  });
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    await receiver.close();
  });

  const open = async (opts: EmulatorOptions = {}) => {
    emulator = await startEmulatorWith(receiver, { stateDir, auditDelayMs: 60_000, ...opts });
    return emulator;
  };
  const reopen = async (opts: EmulatorOptions = {}) => {
    await emulator?.close();
    emulator = undefined;
    return open(opts);
  };
  const as = (mp: Authorized, path: string, opts: CallOptions = {}) =>
    callApi(emulator!, path, { ...opts, query: { access_token: mp.accessToken, ...opts.query } });
  const asComponent = (token: string, path: string, opts: CallOptions = {}) =>
    callApi(emulator!, path, { ...opts, query: { access_token: token, ...opts.query } });
  const finishAudit = (mp: Authorized) => admin(emulator!, 'POST', '/__admin/finish-audit', { appid: mp.appid });
  const ok = (answer: WeChatAnswer) => expect(answer).toMatchObject({ errcode: 0 });

  async function approve(mp: Authorized, templateId: number, userVersion: string): Promise<number> {
    ok(await as(mp, '/wxa/commit', { body: { template_id: templateId, ext_json: extJson(mp.appid), user_version: userVersion, user_desc: `v${userVersion}` } }));
    const submitted = await as(mp, '/wxa/submit_audit', { body: {} });
    ok(submitted);
    await finishAudit(mp);
    return submitted.auditid as number;
  }

  it('continues where it was: tokens, template, releases and history, gray plan, settings, quotas; an audit due while it was down is decided on start and pushed', async () => {
    await open();
    const component = await componentToken(emulator!);
    const [a, b, c] = [await authorizeMiniProgram(emulator!, 0, component), await authorizeMiniProgram(emulator!, 1, component), await authorizeMiniProgram(emulator!, 2, component)];

    // A template added from a draft.
    ok(await asComponent(component, '/wxa/addtotemplate', { body: { draft_id: 3, template_type: 0 } }));
    const templateIds = async () =>
      ((await asComponent(component, '/wxa/gettemplatelist')).template_list as { template_id: number }[]).map((t) => t.template_id);
    const templateId = Math.max(...(await templateIds()));

    // a: 1.0.0 and 1.1.0 released, 1.2.0 approved and gray at 10%; domains, a tester, privacy, visit status.
    await approve(a, templateId, '1.0.0');
    ok(await as(a, '/wxa/release', { body: {} }));
    await approve(a, templateId, '1.1.0');
    ok(await as(a, '/wxa/release', { body: {} }));
    const lastAuditId = await approve(a, templateId, '1.2.0');
    ok(await as(a, '/wxa/grayrelease', { body: { gray_percentage: 10 } }));
    ok(await as(a, '/wxa/modify_domain', { body: { action: 'set', requestdomain: ['https://shop.example'] } }));
    const tester = await as(a, '/wxa/bind_tester', { body: { wechatid: 'tester_1' } });
    const ownerSetting = { contact_email: 'owner@shop.example', notice_method: '弹窗' };
    ok(await as(a, '/cgi-bin/component/setprivacysetting', { body: { privacy_ver: 2, owner_setting: ownerSetting } }));
    ok(await as(a, '/wxa/change_visitstatus', { body: { action: 'close' } }));
    const history = async () => (await as(a, '/wxa/revertcoderelease', { query: { action: 'get_history_version' } })).version_list;
    const historyBefore = await history();
    expect(historyBefore).toEqual([expect.objectContaining({ user_version: '1.0.0' })]);

    // b: an audit under review, due in a minute. c: one withdrawn (an undo spent).
    ok(await as(b, '/wxa/commit', { body: { template_id: templateId, ext_json: extJson(b.appid), user_version: '2.0.0', user_desc: 'b' } }));
    const bAudit = (await as(b, '/wxa/submit_audit', { body: {} })).auditid as number;
    ok(await as(c, '/wxa/commit', { body: { template_id: 1, ext_json: extJson(c.appid), user_version: '3.0.0', user_desc: 'c' } }));
    ok(await as(c, '/wxa/submit_audit', { body: {} }));
    ok(await as(c, '/wxa/undocodeaudit'));
    const quotaBefore = await as(a, '/wxa/queryquota');
    expect(quotaBefore).toMatchObject({ rest: 1000 - 5, limit: 1000 });
    // Fault rules are a session's rehearsal tool: not kept.
    await admin(emulator!, 'POST', '/__admin/faults', { path: '/wxa/release', errcode: -1 });
    expect(receiver.requests.some(pushFor(b.appid, 'weapp_audit_success'))).toBe(false);

    // Two minutes later on the emulator's clock: b's audit fell due while it was down.
    await reopen({ now: () => Date.now() + 120_000 });
    expect(emulator!.state.seeded.slice(0, 3).every((mp) => mp.authorization !== undefined)).toBe(true);

    const decided = openReceivedPush(await receiver.waitFor(pushFor(b.appid, 'weapp_audit_success'))).fields;
    expect(decided).toMatchObject({ Event: 'weapp_audit_success' });
    expect(await as(b, '/wxa/get_latest_auditstatus')).toMatchObject({ errcode: 0, auditid: bAudit, status: 0 });

    // The old tokens still work: the component token, and a's authorizer token.
    expect(await templateIds()).toContain(templateId);
    expect(await as(a, '/wxa/getversioninfo', { body: {} })).toMatchObject({
      errcode: 0,
      exp_info: { exp_version: '1.2.0' },
      release_info: { release_version: '1.1.0' },
    });
    expect((await as(a, '/wxa/getgrayreleaseplan')).gray_release_plan).toMatchObject({ status: 1, gray_percentage: 10 });
    expect(await history()).toEqual(historyBefore);
    expect((await as(a, '/wxa/modify_domain', { body: { action: 'get' } })).requestdomain).toEqual(['https://shop.example']);
    expect((await as(a, '/wxa/memberauth', { body: { action: 'get_experiencer' } })).members).toEqual([{ userstr: tester.userstr }]);
    expect((await as(a, '/cgi-bin/component/getprivacysetting', { body: { privacy_ver: 2 } })).owner_setting).toEqual(ownerSetting);
    expect(emulator!.state.get(a.appid)!.visitStatus).toBe('close');
    expect(emulator!.state.get(c.appid)!.undoQuota).toMatchObject({ dayCount: 1, monthCount: 1 });
    expect(await as(a, '/wxa/queryquota')).toEqual(quotaBefore);
    expect((await admin(emulator!, 'GET', '/__admin/faults')).json.faults).toEqual([]);

    // The release lifecycle goes on from the kept versions: a rollback is refused while gray runs,
    // then goes back to 1.0.0 once the gray release is reverted.
    expect((await as(a, '/wxa/revertcoderelease')).errcode).toBe(87011);
    ok(await as(a, '/wxa/revertgrayrelease'));
    ok(await as(a, '/wxa/revertcoderelease'));
    expect((await as(a, '/wxa/getversioninfo', { body: {} })).release_info).toMatchObject({ release_version: '1.0.0' });

    // The refresh token still refreshes; auditids go on from where they were.
    const refreshed = await asComponent(component, '/cgi-bin/component/api_authorizer_token', {
      query: { component_access_token: component },
      body: { component_appid: EMULATOR_PLATFORM.componentAppid, authorizer_appid: a.appid, authorizer_refresh_token: a.refreshToken },
    });
    expect(refreshed).toMatchObject({ authorizer_access_token: expect.any(String), authorizer_refresh_token: a.refreshToken });
    ok(await as(c, '/wxa/submit_audit', { body: {} }));
    expect((await as(c, '/wxa/get_latest_auditstatus')).auditid).toBeGreaterThan(Math.max(lastAuditId, bAudit));
  });

  it('re-arms an audit not yet due for the time it has left', async () => {
    await open({ auditDelayMs: 1500 });
    const mp = await authorizeMiniProgram(emulator!, 0);
    ok(await as(mp, '/wxa/commit', { body: { template_id: 1, ext_json: extJson(mp.appid), user_version: '1.0.0', user_desc: '' } }));
    ok(await as(mp, '/wxa/submit_audit', { body: {} }));
    const submittedAt = Date.now();
    await reopen({ auditDelayMs: 60_000 });
    await receiver.waitFor(pushFor(mp.appid, 'weapp_audit_success'), 5000);
    const elapsed = Date.now() - submittedAt;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(5000);
  });

  it('sends again, after a restart, an audit push the close cut short', async () => {
    await open({ auditDelayMs: 50 });
    const mp = await authorizeMiniProgram(emulator!, 0);
    // Our service is slow to answer: the push is still in flight when the emulator stops.
    receiver.setHandler((request) => (request.path.startsWith('/wechat/callback/') ? { delayMs: 3000, body: 'success' } : 'success'));
    ok(await as(mp, '/wxa/commit', { body: { template_id: 1, ext_json: extJson(mp.appid), user_version: '1.0.0', user_desc: '' } }));
    ok(await as(mp, '/wxa/submit_audit', { body: {} }));
    await receiver.waitFor(pushFor(mp.appid, 'weapp_audit_success'));
    receiver.setHandler(() => 'success');
    await reopen();
    await receiver.waitFor((request) => receiver.requests.filter(pushFor(mp.appid, 'weapp_audit_success')).length === 2 && pushFor(mp.appid, 'weapp_audit_success')(request));
    expect(await as(mp, '/wxa/get_latest_auditstatus')).toMatchObject({ status: 0 });
  });

  it('lets one emulator at a time use a folder', async () => {
    await open();
    await expect(startEmulatorWith(receiver, { stateDir })).rejects.toThrow(StateDirInUseError);
    await reopen();
    expect(emulator!.stateFile).toBe(path.join(stateDir, STATE_FILE));
  });

  it('refuses a state file it cannot read, saying how to start clean, and lets the folder go', async () => {
    writeFileSync(path.join(stateDir, STATE_FILE), '{"format":1,"componentAppid":');
    await expect(open()).rejects.toThrow(/cannot be read: not JSON.*--reset/);
    rmSync(path.join(stateDir, STATE_FILE));
    await open();
    expect(emulator!.state.authorizedMiniPrograms()).toEqual([]);
  });

  it('keeps nothing on disk without a stateDir', async () => {
    emulator = await startEmulatorWith(receiver);
    expect(emulator.stateFile).toBeUndefined();
  });
});

describe('a kill -9 of `npm run emulator`', () => {
  type Child = ChildProcessByStdio<null, Readable, Readable>;
  const children = new Set<Child>();
  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    children.clear();
  });

  /** `npm run emulator` on `dataDir`, with the project's node; resolves with its URL. */
  async function startProcess(dataDir: string, serviceUrl: string, args: string[] = []): Promise<{ child: Child; url: string }> {
    const child = spawn(NODE, ['--import', 'tsx', 'local/emulator/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', EMULATOR_SERVICE_URL: serviceUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 20 s:\n${output}`)), 20_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /API base \(WECHAT_API_BASE\)\s+(http:\/\/\S+)/.exec(output)?.[1];
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code}:\n${output}`));
      });
    });
    return { child, url };
  }

  async function kill(child: Child): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    children.delete(child);
  }

  async function call(url: string, pathAndQuery: string, body?: unknown): Promise<WeChatAnswer> {
    const response = await fetch(`${url}${pathAndQuery}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return (await response.json()) as WeChatAnswer;
  }

  it('loses nothing it answered, and --reset starts clean', { timeout: 90_000 }, async () => {
    const dataDir = tempDir('mpfleet-emulator-kill-');
    const receiver = await startReceiver();
    try {
      const first = await startProcess(dataDir, receiver.url);
      const appid = ((await call(first.url, '/__admin/state')).miniPrograms as { appid: string }[])[0]!.appid;
      const ticket = (await call(first.url, '/__admin/push-ticket', {})).ticket as string;
      const { component_access_token: component } = await call(first.url, '/cgi-bin/component/api_component_token', {
        component_appid: EMULATOR_PLATFORM.componentAppid,
        component_appsecret: EMULATOR_PLATFORM.componentSecret,
        component_verify_ticket: ticket,
      });
      const authCode = (await call(first.url, '/__admin/authorize', { appid })).auth_code as string;
      const auth = await call(first.url, `/cgi-bin/component/api_query_auth?component_access_token=${component}`, {
        component_appid: EMULATOR_PLATFORM.componentAppid,
        authorization_code: authCode,
      });
      const { authorizer_access_token: token, authorizer_refresh_token: refreshToken } = auth.authorization_info as Record<string, string>;
      const committed = await call(first.url, `/wxa/commit?access_token=${token}`, {
        template_id: 1,
        ext_json: extJson(appid),
        user_version: '9.9.9',
        user_desc: 'answered, then killed',
      });
      expect(committed.errcode).toBe(0);
      await kill(first.child);

      // The lock the killed process left is taken over; everything it answered is there.
      const second = await startProcess(dataDir, receiver.url);
      expect(await call(second.url, `/wxa/getversioninfo?access_token=${token}`, {})).toMatchObject({ errcode: 0, exp_info: { exp_version: '9.9.9' } });
      expect(
        await call(second.url, `/cgi-bin/component/api_authorizer_token?component_access_token=${component}`, {
          component_appid: EMULATOR_PLATFORM.componentAppid,
          authorizer_appid: appid,
          authorizer_refresh_token: refreshToken,
        }),
      ).toMatchObject({ authorizer_access_token: expect.any(String), authorizer_refresh_token: refreshToken });
      await kill(second.child);

      const third = await startProcess(dataDir, receiver.url, ['--reset']);
      expect((await call(third.url, `/wxa/getversioninfo?access_token=${token}`, {})).errcode).toBe(40001);
      expect(((await call(third.url, '/__admin/state')).miniPrograms as { authorized: boolean }[]).some((mp) => mp.authorized)).toBe(false);
      await kill(third.child);
    } finally {
      await receiver.close();
    }
  });
});

describe('npm start: the whole data dir', () => {
  it('keeps the emulator with DynamoDB, so a restarted stack reuses its tenants’ tokens; --reset deletes it all', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('mpfleet-stack-state-');
    let t = await startTestStack({ dataDir, persistEmulator: true });
    let appid: string;
    try {
      [appid] = (await authorizeTenants(t, 1)) as [string];
    } finally {
      await t.close();
    }

    t = await startTestStack({ dataDir, persistEmulator: true });
    try {
      // The token obtained at authorization is still good: no refresh, no 61003, no revoked tenant.
      expect((await t.operator(`/api/tenants/${appid}/qrcode`)).status).toBe(200);
      expect((await services().tenants.get(appid))?.status).toBe('active');
      expect(await t.calls({ path: '/cgi-bin/component/api_authorizer_token' })).toEqual([]);
      // Nothing is deleted under a running stack.
      await expect(resetDataDir(dataDir)).rejects.toThrow(/in use/);
    } finally {
      await t.close();
    }

    mkdirSync(path.join(dataDir, 'queue'), { recursive: true });
    writeFileSync(path.join(dataDir, 'queue', 'marker'), 'queued');
    t = await startTestStack({ dataDir, persistEmulator: true, reset: true });
    try {
      expect(existsSync(path.join(dataDir, 'queue', 'marker'))).toBe(false);
      expect(await services().tenants.get(appid)).toBeUndefined();
      expect(t.stack.emulator!.state.authorizedMiniPrograms()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('refuses to reset a folder that is no data dir, or one in use', async () => {
    const project = tempDir('mpfleet-not-data-');
    writeFileSync(path.join(project, 'package.json'), '{}');
    await expect(resetDataDir(project)).rejects.toThrow(ResetRefusedError);
    expect(readFileSync(path.join(project, 'package.json'), 'utf8')).toBe('{}');

    const dataDir = tempDir('mpfleet-in-use-');
    const emulator = await startEmulatorWith(undefined, { stateDir: path.join(dataDir, 'emulator') });
    try {
      await expect(resetDataDir(dataDir)).rejects.toThrow(StateDirInUseError);
    } finally {
      await emulator.close();
    }
    expect(await resetDataDir(dataDir)).toEqual(['emulator']);
  });
});
