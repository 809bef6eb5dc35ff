/**
 * Issue #14 through the local runtime against the emulator's realistic fleet, where every release
 * gate is represented: readiness, the release profile, preflight (which writes nothing to WeChat),
 * a deployment that commits and submits only the ready tenants, a privacy guide applied before the
 * submit, each tenant's own categories in its item_list, an undeclared privacy API named, an ICP
 * result push that readies a tenant whose blocked target then deploys, and an audit quota smaller
 * than the fleet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView, PreflightResult, Readiness, ReleaseProfileView, TenantPage, TenantView } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';
import { recordWire, type Wire } from '../support/wechat-wire';

const WRITES = ['/wxa/commit', '/wxa/submit_audit', '/wxa/release', '/wxa/modify_domain', '/cgi-bin/component/setprivacysetting', '/wxa/grayrelease'];

let t: TestStack;
let wire: Wire;
/** The realistic fleet, by seed index: 0 ready, 1 unfiled, 2 without a privacy guide, 3 without a signature, 4 and 5 ready, 6 ICP in review, 7 ready, 8 ICP rejected, 9 ready. */
let fleet: string[];

beforeAll(async () => {
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  process.env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS = '1';
  t = await startTestStack({ emulator: { miniPrograms: 10, fleet: 'realistic', privacyScanMs: 500, auditDelayMs: 200 } });
  wire = recordWire(t);
  await t.until(async () => services().tickets.latest());
  fleet = (await t.seededAppids()).slice(0, 10);
  for (const appid of fleet) await t.admin('/authorize', { appid });
  // Authorization checks the gates at once.
  await t.until(async () => (await Promise.all(fleet.map(async (appid) => (await services().tenants.get(appid))?.readiness))).every(Boolean) || undefined, 30_000);
}, 60_000);
afterAll(async () => {
  wire?.restore();
  await t?.close();
});

async function getJson<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await t.operator(path, init);
  return { status: response.status, body: (await response.json()) as T };
}

const codesOf = (readiness: Readiness | undefined) => readiness?.blockers.map((b) => b.code) ?? [];

const PROFILE = {
  privacy: {
    owner_setting: { contact_email: '{{config.ext.contactEmail}}', notice_method: '弹窗提示' },
    setting_list: [
      { privacy_key: 'Location', privacy_text: '为你推荐附近的门店' },
      { privacy_key: 'Album', privacy_text: '上传商品评价的照片' },
    ],
  },
  privacyApis: ['wx.getLocation', 'wx.chooseImage'],
  auditItems: [{ address: 'pages/index/index', title: '首页', tag: '门店 商城' }],
};

async function deployment(id: string): Promise<DeploymentView> {
  return (await getJson<DeploymentView>(`/api/deployments/${id}`)).body;
}

async function settled(id: string, done: (d: DeploymentView) => boolean, timeoutMs = 60_000): Promise<DeploymentView> {
  return t.until(async () => {
    const d = await deployment(id);
    return done(d) ? d : undefined;
  }, timeoutMs);
}

describe('tenant readiness', () => {
  it('shows each tenant its release gates, with stable blocker codes and fixes, and filters the fleet by them', async () => {
    const tenant = async (i: number) => (await getJson<TenantView>(`/api/tenants/${fleet[i]}`)).body;
    expect((await tenant(0)).readiness).toMatchObject({ ready: true, blockers: [], icp: { state: 'filed', status: 6 }, privacy: { configured: true }, basicInfo: { complete: true } });
    expect(codesOf((await tenant(1)).readiness)).toEqual(['icp_not_filed']);
    expect(codesOf((await tenant(2)).readiness)).toEqual(['privacy_not_configured']);
    expect(codesOf((await tenant(3)).readiness)).toEqual(['basic_info_incomplete']);
    expect((await tenant(3)).readiness?.basicInfo.missing).toEqual(['introduction']);
    expect(codesOf((await tenant(6)).readiness)).toEqual(['icp_in_review']);
    const rejected = (await tenant(8)).readiness!;
    expect(codesOf(rejected)).toEqual(['icp_rejected']);
    expect(rejected.icp.rejections?.length).toBeGreaterThan(0);
    expect(rejected.blockers[0]!.fix).toMatch(/file again/);
    // Categories differ between mini-programs, as WeChat has them.
    expect(new Set(await Promise.all([0, 4, 5, 7].map(async (i) => JSON.stringify((await tenant(i)).readiness?.categories))))).not.toHaveProperty('size', 1);

    const notReady = (await getJson<TenantPage>('/api/tenants?ready=false')).body.tenants.map((x) => x.appid).sort();
    expect(notReady).toEqual([1, 2, 3, 6, 8].map((i) => fleet[i]).sort());
    expect((await getJson<TenantPage>('/api/tenants?ready=true')).body.tenants).toHaveLength(5);
    expect((await t.operator('/api/tenants?ready=maybe')).status).toBe(400);
  });

  it('is checked again on demand, and moves with the ICP result WeChat pushes', async () => {
    const appid = fleet[6]!; // in review
    await t.admin('/icp', { appid, status: 4 });
    const refreshed = await getJson<TenantView>(`/api/tenants/${appid}/readiness`, { method: 'POST' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.readiness?.icp).toMatchObject({ state: 'in_review', status: 4 });
    expect((await t.operator('/api/tenants/wx0000000000000000/readiness', { method: 'POST' })).status).toBe(404);
  });
});

describe('the template release profile', () => {
  it('is validated whole, naming the bad field, and changes nothing when refused', async () => {
    expect((await t.operator('/api/templates/1/profile')).status).toBe(404);
    const bad = await t.operator('/api/templates/1/profile', { method: 'PUT', body: JSON.stringify({ ...PROFILE, privacy: { ...PROFILE.privacy, owner_setting: { notice_method: '弹窗' } } }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/privacy\.owner_setting.*contact/);
    expect((await t.operator('/api/templates/1/profile', { method: 'PUT', body: JSON.stringify({ privacyApis: ['getLocation'] }) })).status).toBe(400);
    expect((await t.operator('/api/templates/999/profile', { method: 'PUT', body: JSON.stringify(PROFILE) })).status).toBe(404);
    expect((await t.operator('/api/templates/1/profile')).status).toBe(404);

    const saved = await getJson<ReleaseProfileView>('/api/templates/1/profile', { method: 'PUT', body: JSON.stringify(PROFILE) });
    expect(saved.status).toBe(200);
    expect((await getJson<ReleaseProfileView>('/api/templates/1/profile')).body.profile).toEqual(PROFILE);
  });
});

describe('preflight and a deployment through the gates', () => {
  let readyFleet: string[];
  let blockedFleet: string[];

  it('preflight lists exactly the tenants WeChat would refuse and why, reports the quota, and writes nothing to WeChat', async () => {
    expect((await t.operator(`/api/tenants/${fleet[2]}/config`, { method: 'PUT', body: JSON.stringify({ ext: { contactEmail: 'shop2@example.com' } }) })).status).toBe(200);
    await t.admin('/calls', undefined, 'DELETE');
    const since = Date.now();
    const { status, body } = await getJson<PreflightResult>('/api/deployments/preflight', {
      method: 'POST',
      body: JSON.stringify({ templateId: 1, userVersion: '2.0.0', userDesc: 'gates' }),
    });
    expect(status).toBe(200);
    const blocked = Object.fromEntries(body.tenants.filter((x) => !x.ready).map((x) => [x.appid, x.blockers.map((b) => b.code)]));
    expect(blocked).toEqual({ [fleet[1]!]: ['icp_not_filed'], [fleet[3]!]: ['basic_info_incomplete'], [fleet[6]!]: ['icp_in_review'], [fleet[8]!]: ['icp_rejected'] });
    // The tenant without a privacy guide is ready: the template's profile carries one mpfleet applies.
    expect(body.tenants.find((x) => x.appid === fleet[2])).toMatchObject({ ready: true });
    expect(body.counts).toEqual({ ready: 6, blocked: 4, skipped: 0 });
    expect(body.quota).toMatchObject({ rest: expect.any(Number), limit: expect.any(Number), planned: 6 });
    expect(wire.calls({ since }).filter((c) => WRITES.includes(c.path))).toEqual([]);

    readyFleet = body.tenants.filter((x) => x.ready).map((x) => x.appid);
    blockedFleet = Object.keys(blocked);
    const invalid = await t.operator('/api/deployments/preflight', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '2.0.0', userDesc: 'x', tenants: ['wx0000000000000001'] }) });
    expect(invalid.status).toBe(400);
  });

  it('commits and submits only the ready tenants, applies the guide where missing, and submits each under its own categories', async () => {
    const since = Date.now();
    const created = await getJson<{ id: string }>('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '2.0.0', userDesc: 'gates' }) });
    expect(created.status).toBe(202);
    const done = await settled(created.body.id, (d) => d.status === 'completed');
    const states = Object.fromEntries(done.targets.map((x) => [x.appid, x.state]));
    for (const appid of readyFleet) expect(states[appid], appid).toBe('released');
    for (const appid of blockedFleet) expect(states[appid], appid).toBe('blocked');
    expect(done.targets.find((x) => x.appid === fleet[1])?.error).toMatchObject({ code: 'icp_not_filed', message: expect.stringMatching(/Fix: /) });

    // Nothing of a blocked tenant reached WeChat: no commit, no submit_audit.
    for (const appid of blockedFleet) {
      expect(wire.calls({ path: '/wxa/commit', appid, since }), appid).toEqual([]);
      expect(wire.calls({ path: '/wxa/submit_audit', appid, since }), appid).toEqual([]);
    }
    // The tenant without a guide got the template's, with its own contact, before its submit.
    const noGuide = fleet[2]!;
    const guide = wire.calls({ path: '/cgi-bin/component/setprivacysetting', appid: noGuide, since });
    expect(guide).toHaveLength(1);
    expect(guide[0]!.body).toMatchObject({ owner_setting: { contact_email: 'shop2@example.com' } });
    expect(guide[0]!.startedAt).toBeLessThan(wire.successes('/wxa/submit_audit', noGuide)[0]!.startedAt);
    // Its readiness no longer lists the missing guide.
    expect((await services().tenants.get(noGuide))?.readiness).toMatchObject({ ready: true, privacy: { configured: true } });
    // Tenants that had a guide were left alone.
    expect(wire.calls({ path: '/cgi-bin/component/setprivacysetting', appid: fleet[0], since })).toEqual([]);

    // Each submit_audit carries that tenant's own first category, mapped through the profile.
    for (const appid of readyFleet) {
      const [submit] = wire.successes('/wxa/submit_audit', appid).filter((c) => c.startedAt >= since);
      const category = (await services().tenants.get(appid))!.readiness!.categories[0]!;
      expect(submit!.body?.item_list, appid).toEqual([
        expect.objectContaining({ first_id: category.firstId, second_id: category.secondId, first_class: category.first, address: 'pages/index/index', title: '首页' }),
      ]);
    }
    expect(new Set(readyFleet.map((appid) => JSON.stringify((wire.successes('/wxa/submit_audit', appid).at(-1)!.body?.item_list as { second_id: number }[])[0]!.second_id))).size).toBeGreaterThan(1);
  });

  it('an ICP result pushed by WeChat readies a blocked tenant, and retrying the deployment releases it', async () => {
    const appid = fleet[1]!;
    const deployments = (await getJson<{ deployments: { id: string }[] }>('/api/deployments')).body.deployments;
    const id = deployments[0]!.id;
    await t.admin('/icp', { appid, status: 6 });
    await t.until(async () => (await services().tenants.get(appid))?.readiness?.icp.state === 'filed' || undefined);
    expect((await t.operator(`/api/deployments/${id}/retry`, { method: 'POST', body: '{}' })).status).toBe(202);
    const done = await settled(id, (d) => d.targets.find((x) => x.appid === appid)?.state === 'released');
    // The others are still blocked: their gates did not change.
    expect(done.targets.filter((x) => x.state === 'blocked').map((x) => x.appid).sort()).toEqual([fleet[3], fleet[6], fleet[8]].sort());
  });

  it('names the undeclared privacy API of a template whose code calls one, and blocks only that', async () => {
    const added = await getJson<{ templateId: number }>('/api/templates', { method: 'POST', body: JSON.stringify({ draftId: 3 }) });
    expect(added.status).toBe(201);
    const appid = fleet[0]!;
    const since = Date.now();
    const created = await getJson<{ id: string }>('/api/deployments', {
      method: 'POST',
      body: JSON.stringify({ templateId: added.body.templateId, userVersion: '2.1.0', userDesc: 'address', tenants: [appid] }),
    });
    const done = await settled(created.body.id, (d) => d.targets[0]?.state === 'blocked');
    expect(done.targets[0]!.error).toMatchObject({ code: 'privacy_api_undeclared', message: expect.stringContaining('wx.chooseAddress') });
    // WeChat refused the submit (61040): no audit quota spent, nothing under review.
    expect(wire.calls({ path: '/wxa/submit_audit', appid, since }).every((c) => c.errcode !== 0)).toBe(true);
  });
});

describe('an audit quota smaller than the fleet', () => {
  let q: TestStack;
  beforeAll(async () => {
    await t.close();
    q = await startTestStack({ emulator: { miniPrograms: 6, auditQuota: 3, auditDelayMs: 60_000 } });
    await q.until(async () => services().tickets.latest());
    for (const appid of (await q.seededAppids()).slice(0, 6)) await q.admin('/authorize', { appid });
    await q.until(async () => (await services().tenants.list()).tenants.length === 6 || undefined, 30_000);
  }, 60_000);
  afterAll(() => q?.close());

  it('submits exactly the quota and pauses the rest, saying how many still need an audit', async () => {
    const created = await q.operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '3.0.0', userDesc: 'quota' }) });
    const { id } = (await created.json()) as { id: string };
    const paused = await q.until(async () => {
      const d = (await (await q.operator(`/api/deployments/${id}`)).json()) as DeploymentView;
      return d.status === 'paused' && (d.counts.auditing ?? 0) === 3 && (d.counts.committed ?? 0) === 3 ? d : undefined;
    }, 30_000);
    expect(paused.paused).toEqual({ code: 'audit_quota_exhausted', needed: 3, left: 0 });
    expect((await q.calls({ path: '/wxa/submit_audit' })).filter((c) => c.errcode === 0)).toHaveLength(3);
  });
});
