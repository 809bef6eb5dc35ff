/**
 * Issue #18 through the local runtime against the emulator: a merchant with no mini-program goes
 * from one registration (with its onboarding plan) to a ready tenant that a deploy reaches, with no
 * further call to mpfleet; the basic-info and categories APIs; a rename WeChat's review rejects,
 * shown with WeChat's reason, on the tenant and on the onboarding step it failed; a retry; and
 * duplicated onboarding messages that run no step twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avatarPng } from '../../local/emulator/avatar';
import type { DeploymentView, TenantView } from '../../shared/contract/operator-api';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { STALE_CLAIM_MS } from '../../shared/onboarding/run-onboarding';
import { services } from '../../shared/services';
import { nextSecond, startTestStack, type TestStack } from '../support/stack';

let t: TestStack;

interface Step {
  step: string;
  state: string;
  message?: string;
}
interface RegistrationView {
  id: string;
  status: string;
  appid?: string;
  onboarding?: { state: string; steps: Step[] };
  next: string;
}
interface CategoriesView {
  categories: { first: number; second: number; firstName: string; secondName: string; state: string; reason?: string }[];
  available?: { first: number; second: number; needsReview: boolean; qualifications: string[] }[];
}

const png = (seed: string) => `data:image/png;base64,${avatarPng(`wx${seed.padEnd(16, '0')}`).toString('base64')}`;
const PRIVACY = {
  owner_setting: { contact_email: 'privacy@shop.example.com', notice_method: '弹窗提示' },
  setting_list: [{ privacy_key: 'UserInfo', privacy_text: '登录并展示会员信息' }],
};
/** 餐饮服务 > 点餐平台: in the catalogue and not sensitive (approved at once). */
const ORDERING = { first: 220, second: 688 };

const enterprise = (n: number, onboarding?: Record<string, unknown>) => ({
  kind: 'enterprise',
  name: `示例餐饮管理第${n}有限公司`,
  code: ['91440101MA59PY8X4E', '91310110086172478X', '91110000600037341L', '91330106MA2KD8QX1C'][n]!,
  code_type: 1,
  legal_persona_wechat: `legal_person_${n}0`,
  legal_persona_name: `法人${n}`,
  ...(onboarding ? { onboarding } : {}),
});

async function json<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await t.operator(path, init);
  return { status: response.status, body: (await response.json()) as T };
}
const registration = async (id: string) => (await json<RegistrationView>(`/api/registrations/${id}`)).body;
const tenant = async (appid: string) => (await json<TenantView>(`/api/tenants/${appid}`)).body;

/** Registers, has the legal representative confirm in WeChat, and waits for the tenant. */
async function registerAndConfirm(body: ReturnType<typeof enterprise>): Promise<RegistrationView> {
  const created = await json<RegistrationView>('/api/registrations', { method: 'POST', body: JSON.stringify(body) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await t.admin('/registrations/confirm', { name: body.name, legal_persona_wechat: body.legal_persona_wechat });
  return t.until(async () => {
    const view = await registration(created.body.id);
    return view.appid && (await services().tenants.get(view.appid))?.status === 'active' ? view : undefined;
  }, 20_000);
}

/** Waits until the onboarding reaches one of `states` (any other end fails at once, with its steps). */
async function onboardingReaches(id: string, state: string): Promise<RegistrationView> {
  return t.until(async () => {
    const view = await registration(id);
    if (view.onboarding?.state === 'needs_attention' && state !== 'needs_attention') throw new Error(`onboarding failed: ${JSON.stringify(view.onboarding)}`);
    return view.onboarding?.state === state ? view : undefined;
  }, 30_000);
}

beforeAll(async () => {
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  t = await startTestStack({ emulator: { miniPrograms: 1, auditDelayMs: 200 } });
  await t.until(async () => services().tickets.latest());
}, 60_000);
afterAll(() => t?.close());

describe('onboarding a merchant with no mini-program yet', () => {
  let appid: string;
  let registrationId: string;

  it('goes from one registration to a ready tenant with no further call to mpfleet, and a deploy reaches it', async () => {
    const body = enterprise(0, {
      nickName: '示例点餐',
      avatar: png('a0'),
      signature: '扫码点餐、外卖自取，一家好店的小程序',
      categories: [ORDERING],
      privacy: PRIVACY,
      config: { ext: { shopName: '示例点餐' } },
    });
    const created = await json<RegistrationView>('/api/registrations', { method: 'POST', body: JSON.stringify(body) });
    expect(created.body.onboarding).toEqual({
      state: 'waiting_for_mini_program',
      steps: ['config', 'avatar', 'signature', 'nickName', 'categories', 'privacy'].map((step) => expect.objectContaining({ step, state: 'pending' })),
    });
    registrationId = created.body.id;

    // The legal representative confirms in WeChat; everything else follows from the pushes.
    await t.admin('/registrations/confirm', { name: body.name, legal_persona_wechat: body.legal_persona_wechat });
    const done = await onboardingReaches(registrationId, 'done');
    appid = done.appid!;
    expect(done.onboarding!.steps.every((s) => s.state === 'done')).toBe(true);
    expect(done.next).toContain('ICP');

    const view = await tenant(appid);
    expect(view).toMatchObject({ registrationId, nickName: '示例点餐', config: { ext: { shopName: '示例点餐' } } });
    // Every gate the onboarding can pass is passed: the ICP filing is the merchant's, in WeChat.
    expect(view.readiness?.blockers.map((b) => b.code)).toEqual(['icp_not_filed']);
    expect(view.readiness).toMatchObject({ basicInfo: { complete: true, nickName: '示例点餐' }, privacy: { configured: true }, categories: [expect.objectContaining({ firstId: ORDERING.first, secondId: ORDERING.second })] });
    const atWeChat = (await t.admin<{ miniPrograms: { appid: string; gates: { basicInfo: Record<string, unknown> } }[] }>('/state')).miniPrograms.find((m) => m.appid === appid);
    expect(atWeChat?.gates.basicInfo).toMatchObject({ nickname: '示例点餐', signature: body.onboarding!.signature as string, headImage: 'emulator:uploaded-head-image', missing: [] });

    // WeChat's ICP desk files it and pushes the result: the tenant is ready with no call to mpfleet.
    await t.admin('/icp', { appid, status: 6 });
    await t.until(async () => (await tenant(appid)).readiness?.ready || undefined, 20_000);

    const deployment = await json<{ id: string }>('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '1.0.0', userDesc: 'first release', tenants: [appid] }) });
    expect(deployment.status).toBe(202);
    const released = await t.until(async () => {
      const d = (await json<DeploymentView>(`/api/deployments/${deployment.body.id}`)).body;
      return d.targets[0]?.state === 'released' ? d : undefined;
    }, 60_000);
    expect(released.targets[0]).toMatchObject({ appid, state: 'released' });
  }, 120_000);

  it('runs no step twice when its onboarding message is delivered again, twice at once', async () => {
    const signatureCalls = async () => (await t.calls({ path: '/cgi-bin/account/modifysignature', kind: 'api' })).filter((c) => c.appid === appid).length;
    expect(await signatureCalls()).toBe(1);
    await services().deployQueue.send([{ kind: 'onboard', registrationId }, { kind: 'onboard', registrationId }]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await signatureCalls()).toBe(1);
    expect((await registration(registrationId)).onboarding?.state).toBe('done');
  });

  it('takes over a step a crashed worker left claimed, and never runs past a step another worker is running', async () => {
    const key = { pk: `REGISTRATION#${registrationId}`, sk: 'META' };
    const setSteps = (steps: Record<string, unknown>) =>
      services().db.send(new UpdateCommand({ TableName: services().table, Key: key, UpdateExpression: 'SET onboarding.steps.signature = :signature REMOVE onboarding.steps.privacy', ExpressionAttributeValues: { ':signature': steps.signature } }));
    const calls = async (path: string) => (await t.calls({ path, kind: 'api' })).filter((c) => c.appid === appid).length;
    const guides = await calls('/cgi-bin/component/setprivacysetting');

    // Claimed a moment ago by a worker still running: this delivery leaves the steps from there on to it.
    await setSteps({ signature: { state: 'running', atMs: Date.now() } });
    await services().deployQueue.send([{ kind: 'onboard', registrationId }]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await calls('/cgi-bin/component/setprivacysetting')).toBe(guides);
    expect((await registration(registrationId)).onboarding?.state).toBe('running');

    // Claimed by a worker that died (the claim is older than STALE_CLAIM_MS): the next delivery finishes the plan.
    await setSteps({ signature: { state: 'running', atMs: Date.now() - STALE_CLAIM_MS - 1000 } });
    await services().deployQueue.send([{ kind: 'onboard', registrationId }]);
    await onboardingReaches(registrationId, 'done');
    expect(await calls('/cgi-bin/account/modifysignature')).toBe(2);
    expect(await calls('/cgi-bin/component/setprivacysetting')).toBe(guides + 1);
  });

  it("shows a rename WeChat's review rejects with WeChat's reason, on the tenant and on its onboarding step; a retry submits it again", async () => {
    const body = enterprise(1, { nickName: '中国示例官方点餐', nicknameMaterials: { license: png('b1') }, signature: '一家好店的官方点餐小程序' });
    const { id, appid: renamed } = await registerAndConfirm(body);
    const inReview = await onboardingReaches(id, 'in_review');
    expect(inReview.onboarding!.steps.find((s) => s.step === 'nickName')).toMatchObject({ state: 'in_review', message: expect.stringContaining('中国示例官方点餐') });
    expect((await tenant(renamed!)).nicknameAudit).toMatchObject({ nickname: '中国示例官方点餐', state: 'in_review', auditId: expect.any(Number) });

    await t.admin('/finish-nickname-audit', { appid: renamed, outcome: 'reject', reason: '名称含有“中国”，需提供主管部门批准文件' });
    const rejected = await onboardingReaches(id, 'needs_attention');
    expect(rejected.onboarding!.steps.find((s) => s.step === 'nickName')).toMatchObject({ state: 'failed', message: expect.stringContaining('需提供主管部门批准文件') });
    expect(rejected.next).toContain('/onboarding/retry');
    expect((await tenant(renamed!)).nicknameAudit).toMatchObject({ nickname: '中国示例官方点餐', state: 'rejected', reason: '名称含有“中国”，需提供主管部门批准文件' });
    // Without a name the mini-program cannot pass the release gates (the check after the push may still be running).
    await t.until(async () => (await tenant(renamed!)).readiness?.blockers.some((b) => b.code === 'basic_info_incomplete') || undefined, 20_000);

    const retried = await json<RegistrationView>(`/api/registrations/${id}/onboarding/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    await onboardingReaches(id, 'in_review');
    // Events are told apart by sender and CreateTime (whole seconds): WeChat's second decision comes in a later second.
    await nextSecond();
    await t.admin('/finish-nickname-audit', { appid: renamed, outcome: 'approve' });
    await onboardingReaches(id, 'done');
    expect(await tenant(renamed!)).toMatchObject({ nickName: '中国示例官方点餐', nicknameAudit: { state: 'approved' } });
    expect((await json(`/api/registrations/${id}/onboarding/retry`, { method: 'POST' })).status).toBe(409);
  }, 120_000);
});

describe('basic info and categories of a tenant', () => {
  let appid: string;

  beforeAll(async () => {
    appid = (await registerAndConfirm(enterprise(2))).appid!;
    // The release-gate check queued at its authorization lands on its own time: wait, so snapshots see only the tests.
    await t.until(async () => (await services().tenants.get(appid))?.readiness, 20_000);
  }, 30_000);

  it('sets the avatar, introduction and name, and refuses a name needing proof without changing anything', async () => {
    const before = await t.snapshot();
    const needsProof = await json<{ error: { code: string; message: string } }>(`/api/tenants/${appid}/basic-info`, {
      method: 'PUT',
      body: JSON.stringify({ nickName: '腾讯示例旗舰店', avatar: png('c2'), signature: '不会被设置的介绍' }),
    });
    expect(needsProof.status).toBe(422);
    expect(needsProof.body.error).toMatchObject({ code: 'nickname_needs_materials', message: expect.stringContaining('nicknameMaterials') });
    expect(await t.snapshot()).toEqual(before);
    expect((await t.calls({ path: '/cgi-bin/account/modifysignature', kind: 'api' })).filter((c) => c.appid === appid)).toEqual([]);

    const set = await json<{ applied: Record<string, string>; readiness: { basicInfo: { complete: boolean; missing: string[] } } }>(`/api/tenants/${appid}/basic-info`, {
      method: 'PUT',
      body: JSON.stringify({ nickName: '示例洗衣', avatar: png('c2'), signature: '上门取送的洗衣小程序' }),
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.applied).toEqual({ avatar: 'set', signature: 'set', nickName: 'set' });
    expect(set.body.readiness.basicInfo).toMatchObject({ complete: true, missing: [] });
    expect(await tenant(appid)).toMatchObject({ nickName: '示例洗衣' });

    // WeChat's own refusals come back as 422 naming its errcode: a name another mini-program has.
    const taken = await json<{ error: { code: string } }>(`/api/tenants/${appid}/basic-info`, { method: 'PUT', body: JSON.stringify({ nickName: '示例点餐' }) });
    expect(taken.status).toBe(422);
    expect(taken.body.error.code).toMatch(/^wechat_\d+$/);
  });

  it("lists WeChat's catalogue, adds a plain category at once and a sensitive one through WeChat's review", async () => {
    const listed = (await json<CategoriesView>(`/api/tenants/${appid}/categories?catalogue=true`)).body;
    expect(listed.categories).toEqual([]);
    const sensitive = listed.available!.find((c) => c.needsReview && c.qualifications.length > 0)!;
    expect(sensitive).toBeDefined();
    expect(listed.available!.some((c) => c.first === ORDERING.first && c.second === ORDERING.second && !c.needsReview)).toBe(true);

    // A sensitive category without its documents is refused before WeChat is asked.
    const before = await t.snapshot();
    const missing = await json<{ error: { code: string; message: string } }>(`/api/tenants/${appid}/categories`, { method: 'POST', body: JSON.stringify({ categories: [{ first: sensitive.first, second: sensitive.second }] }) });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'qualifications_missing', message: expect.stringContaining(sensitive.qualifications[0]!) });
    expect(await t.snapshot()).toEqual(before);

    const added = await json<CategoriesView & { readiness: { blockers: { code: string }[] } }>(`/api/tenants/${appid}/categories`, {
      method: 'POST',
      body: JSON.stringify({
        categories: [ORDERING, { first: sensitive.first, second: sensitive.second, qualifications: sensitive.qualifications.map((name, i) => ({ name, image: png(`d${i}`) })) }],
      }),
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.categories).toEqual(
      expect.arrayContaining([expect.objectContaining({ ...ORDERING, state: 'approved' }), expect.objectContaining({ first: sensitive.first, second: sensitive.second, state: 'in_review' })]),
    );
    expect(added.body.readiness.blockers.map((b) => b.code)).not.toContain('category_missing');

    // One under review cannot be deleted (WeChat's 53308); once WeChat approves it, it is listed approved.
    const inReview = await json<{ error: { code: string } }>(`/api/tenants/${appid}/categories?first=${sensitive.first}&second=${sensitive.second}`, { method: 'DELETE' });
    expect(inReview.status).toBe(422);
    expect(inReview.body.error.code).toBe('wechat_53308');
    await t.admin('/finish-category-audit', { appid, first: sensitive.first, second: sensitive.second, outcome: 'approve' });
    await t.until(async () => (await json<CategoriesView>(`/api/tenants/${appid}/categories`)).body.categories.every((c) => c.state === 'approved') || undefined, 20_000);

    const removed = await json<CategoriesView>(`/api/tenants/${appid}/categories?first=${ORDERING.first}&second=${ORDERING.second}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(removed.body.categories.map((c) => `${c.first}:${c.second}`)).toEqual([`${sensitive.first}:${sensitive.second}`]);
    expect((await json(`/api/tenants/${appid}/categories?first=${ORDERING.first}&second=${ORDERING.second}`, { method: 'DELETE' })).status).toBe(404);
  });
});
