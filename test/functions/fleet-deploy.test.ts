import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileAudits } from '../../shared/deployments/reconcile-audits';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';
import { recordWire, type Wire } from '../support/wechat-wire';

let t: TestStack;
let wire: Wire;
let appids: string[];

interface DeploymentView {
  id: string;
  status: string;
  counts: Record<string, number>;
  pausedReason?: string;
  targets: { appid: string; state: string; auditId?: number; grayPercentage?: number; error?: { code: number | string; message: string }; reason?: string }[];
}

beforeAll(async () => {
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  process.env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS = '1';
  t = await startTestStack({ emulator: { miniPrograms: 8, auditDelayMs: 200 } });
  wire = recordWire(t);
  await t.until(async () => services().tickets.latest());
  appids = (await t.seededAppids()).slice(0, 6);
  for (const appid of appids) await t.admin('/authorize', { appid });
  await t.until(async () => (await services().tenants.list()).tenants.length === appids.length || undefined);
}, 60_000);
afterAll(async () => {
  wire?.restore();
  await t?.close();
});

async function deploy(body: Record<string, unknown>): Promise<string> {
  const response = await t.operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userDesc: 'fleet test', ...body }) });
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function view(id: string): Promise<DeploymentView> {
  return (await (await t.operator(`/api/deployments/${id}`)).json()) as DeploymentView;
}

async function settle(id: string, done: (v: DeploymentView) => boolean, timeoutMs = 30_000): Promise<DeploymentView> {
  return t.until(async () => {
    const current = await view(id);
    return done(current) ? current : undefined;
  }, timeoutMs);
}

const successful = async (path: string, appid?: string) =>
  (await t.calls({ path })).filter((c) => c.kind === 'api' && c.errcode === 0 && (!appid || c.appid === appid));

const committedExtJson = (appid: string) => t.stack.emulator!.state.get(appid)!.committed!.extJson;

describe('fleet deploy: commit → audit → release', () => {
  it('commits each tenant its own ext_json once, submits once, and releases once on audit success', async () => {
    const fleet = appids.slice(0, 3);
    for (const [i, appid] of fleet.entries()) {
      const put = await t.operator(`/api/tenants/${appid}/config`, { method: 'PUT', body: JSON.stringify({ ext: { shopId: `shop-${i}`, name: '{{nickName}}' } }) });
      expect(put.status).toBe(200);
    }
    await t.admin('/calls', undefined, 'DELETE');
    const id = await deploy({ userVersion: '2.0.0', tenants: fleet, ext: { ext: { theme: 'dark', shopId: 'default' } } });
    const done = await settle(id, (v) => v.counts.released === 3);
    expect(done.status).toBe('completed');

    for (const [i, appid] of fleet.entries()) {
      expect(await successful('/wxa/commit', appid)).toHaveLength(1);
      expect(await successful('/wxa/submit_audit', appid)).toHaveLength(1);
      expect(await successful('/wxa/release', appid)).toHaveLength(1);
      const ext = JSON.parse(committedExtJson(appid));
      expect(ext.extAppid).toBe(appid);
      expect(ext.ext).toMatchObject({ shopId: `shop-${i}`, theme: 'dark' });
      expect(ext.ext.name).toBe((await services().tenants.get(appid))!.nickName);
      expect((await services().tenants.get(appid))!.releasedVersion).toBe('2.0.0');
    }

    // WeChat retries the audit push: nothing is released twice.
    const appid = fleet[0]!;
    const userName = (await services().tenants.get(appid))!.userName!;
    const push = { ToUserName: userName, FromUserName: 'o-wechat', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'event', Event: 'weapp_audit_success', SuccTime: 1 };
    expect(await (await t.push(`/wechat/callback/${appid}`, push, { ToUserName: userName })).text()).toBe('success');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await successful('/wxa/release', appid)).toHaveLength(1);
  });

  it('keeps the rejection reason when the audit fails', async () => {
    const appid = appids[3]!;
    await t.admin('/audit-outcome', { appid, outcome: 'reject', reason: '页面内容不完整 / incomplete pages' });
    const id = await deploy({ userVersion: '2.0.1', tenants: [appid] });
    const done = await settle(id, (v) => v.counts.rejected === 1);
    expect(done.targets[0]).toMatchObject({ appid, state: 'rejected', reason: '页面内容不完整 / incomplete pages' });
    await t.admin('/audit-outcome', { appid, outcome: 'approve' });
  });

  it('stops at committed without audit, and at approved until the operator releases (manual)', async () => {
    const [a, b] = [appids[4]!, appids[5]!];
    const commitOnly = await deploy({ userVersion: '2.1.0', tenants: [a], submitAudit: false });
    expect((await settle(commitOnly, (v) => v.status === 'completed')).targets[0]!.state).toBe('committed');

    const manual = await deploy({ userVersion: '2.1.1', tenants: [b], release: 'manual' });
    await settle(manual, (v) => v.counts.approved === 1 && v.status === 'completed');
    await t.admin('/calls', undefined, 'DELETE');
    expect((await t.operator(`/api/deployments/${manual}/release`, { method: 'POST' })).status).toBe(202);
    await settle(manual, (v) => v.counts.released === 1);
    expect(await successful('/wxa/release', b)).toHaveLength(1);
  });
});

describe('fleet deploy under WeChat faults', () => {
  it('retries -1 and 45011 on commit and still commits every tenant exactly once', async () => {
    const fleet = appids.slice(0, 3);
    await t.admin('/faults', { path: '/wxa/commit', appid: fleet[0], errcode: -1, times: 2 });
    await t.admin('/faults', { path: '/wxa/commit', appid: fleet[1], errcode: 45011, times: 1 });
    await t.admin('/calls', undefined, 'DELETE');
    const id = await deploy({ userVersion: '3.0.0', tenants: fleet, submitAudit: false });
    const done = await settle(id, (v) => v.counts.committed === 3);
    expect(done.status).toBe('completed');
    for (const appid of fleet) expect(await successful('/wxa/commit', appid)).toHaveLength(1);
    const refused = (await t.calls({ path: '/wxa/commit' })).filter((c) => c.errcode !== 0);
    expect(refused.map((c) => `${c.appid}:${c.errcode}`).sort()).toEqual([`${fleet[0]}:-1`, `${fleet[0]}:-1`, `${fleet[1]}:45011`].sort());
  });

  it('fails only the tenant WeChat refuses (85013) with code and message; retry completes it', async () => {
    const fleet = appids.slice(0, 3);
    const victim = fleet[1]!;
    const fault = await t.admin<{ id: string }>('/faults', { path: '/wxa/commit', appid: victim, errcode: 85013, errmsg: 'invalid ext_json' });
    const id = await deploy({ userVersion: '3.0.1', tenants: fleet, submitAudit: false });
    const done = await settle(id, (v) => v.status === 'completed');
    expect(done.counts).toMatchObject({ committed: 2, failed: 1 });
    expect(done.targets.find((x) => x.appid === victim)!.error).toMatchObject({ code: 85013, message: expect.stringContaining('invalid ext_json') });

    await t.admin(`/faults/${fault.id}`, undefined, 'DELETE');
    expect((await t.operator(`/api/deployments/${id}/retry`, { method: 'POST' })).status).toBe(202);
    // Until the queue has re-queued the failed target, the deployment must not look settled.
    expect((await view(id)).status).toBe('running');
    const retried = await settle(id, (v) => v.counts.committed === 3);
    expect(retried.targets.find((x) => x.appid === victim)).not.toHaveProperty('error');
  });

  it('waits for the privacy scan (61039) and then submits once', async () => {
    const appid = appids[4]!;
    await t.admin('/faults', { path: '/wxa/submit_audit', appid, errcode: 61039, times: 2 });
    const id = await deploy({ userVersion: '3.0.2', tenants: [appid], release: 'manual' });
    const done = await settle(id, (v) => v.counts.approved === 1);
    expect(done.targets[0]).not.toHaveProperty('error');
    expect(await successful('/wxa/submit_audit', appid)).toHaveLength(1);
    // An approved target of a manual deployment holds its tenant: cancel it, so later deployments
    // to this tenant do not wait for it.
    expect((await t.operator(`/api/deployments/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    await settle(id, (v) => v.status === 'cancelled' && v.counts.cancelled === 1);
  });

  it('sets server and web-view domains before committing', async () => {
    const appid = appids[3]!;
    await t.admin('/calls', undefined, 'DELETE');
    const id = await deploy({
      userVersion: '3.0.3',
      tenants: [appid],
      submitAudit: false,
      domains: { requestdomain: ['https://api.shop.example'], uploaddomain: ['https://upload.shop.example'] },
      webviewDomains: ['https://h5.shop.example'],
    });
    await settle(id, (v) => v.counts.committed === 1);
    expect(await successful('/wxa/modify_domain', appid)).toHaveLength(1);
    expect(await successful('/wxa/setwebviewdomain', appid)).toHaveLength(1);
    const domains = await services().authorizerTokens.forTenant(appid).use((token) => services().authorizerApi.modifyDomain(token, { action: 'get' }));
    expect(domains.requestdomain).toEqual(['https://api.shop.example']);
  });

  it('recovers a lost audit push with the reconciler', async () => {
    const appid = appids[2]!;
    await t.admin('/audit-outcome', { appid, outcome: 'silent' });
    const id = await deploy({ userVersion: '3.1.0', tenants: [appid] });
    await settle(id, (v) => v.targets[0]?.state === 'auditing');
    // The emulator decides (approves) but never pushes.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await view(id)).targets[0]?.state).toBe('auditing');
    const submittedAtMs = (await services().deployments.getTarget(id, appid))!.submittedAtMs!;
    // Between its scheduled polls (10, 20, 40 minutes, then hourly) the audit is left alone…
    expect(await reconcileAudits(services(), { nowMs: submittedAtMs + 25 * 60_000 })).toEqual({ checked: 0, resolved: 0 });
    // …and the first run after the 10-minute mark asks WeChat and releases.
    expect(await reconcileAudits(services(), { nowMs: submittedAtMs + 11 * 60_000 })).toEqual({ checked: 1, resolved: 1 });
    await settle(id, (v) => v.counts.released === 1);
    await t.admin('/audit-outcome', { appid, outcome: 'approve' });
  });

  it('skips revoked tenants with the reason when deploying to everyone', async () => {
    const revoked = appids[5]!;
    await t.admin('/revoke', { appid: revoked });
    await t.until(async () => (await services().tenants.get(revoked))?.status === 'revoked');
    const id = await deploy({ userVersion: '4.0.0', submitAudit: false });
    const done = await settle(id, (v) => v.status === 'completed');
    expect(done.counts).toMatchObject({ committed: appids.length - 1, skipped: 1 });
    expect(done.targets.find((x) => x.appid === revoked)).toMatchObject({ state: 'skipped', error: { code: 'tenant_revoked' } });
  });
});

describe('operator actions', () => {
  it('rolls released targets back to the previous version', async () => {
    const appid = appids[0]!;
    const id = await deploy({ userVersion: '5.0.0', tenants: [appid] });
    await settle(id, (v) => v.counts.released === 1);
    await t.admin('/calls', undefined, 'DELETE');
    expect((await t.operator(`/api/deployments/${id}/rollback`, { method: 'POST' })).status).toBe(202);
    await settle(id, (v) => v.counts.rolled_back === 1);
    // The rollback looks its version up first (revertcoderelease?action=get_history_version, same
    // path): the revert itself happens once, to the version before.
    expect(await successful('/wxa/revertcoderelease', appid)).toHaveLength(wire.successes('/wxa/revertcoderelease', appid, 'get_history_version').length + 1);
    expect(wire.successes('/wxa/revertcoderelease', appid, null)).toHaveLength(1);
    expect(t.stack.emulator!.state.get(appid)!.released?.userVersion).toBe('2.0.0');
    expect((await services().tenants.get(appid))!.releasedVersion).toBe('2.0.0');
  });

  it('gray-releases approved targets when the operator asks for a percentage', async () => {
    // A gray release needs a version online already (WeChat answers 85079 otherwise): the first
    // test released 2.0.0 to this tenant.
    const appid = appids[1]!;
    expect(t.stack.emulator!.state.get(appid)!.released?.userVersion).toBe('2.0.0');
    const id = await deploy({ userVersion: '5.1.0', tenants: [appid], release: 'manual' });
    await settle(id, (v) => v.counts.approved === 1);
    const response = await t.operator(`/api/deployments/${id}/release`, { method: 'POST', body: JSON.stringify({ grayPercentage: 10 }) });
    expect(response.status).toBe(202);
    // A gray release is a state of its own: 10% of users have the new version.
    const gray = await settle(id, (v) => v.counts.gray === 1);
    expect(gray.targets[0]).toMatchObject({ state: 'gray', grayPercentage: 10 });
    expect(await successful('/wxa/grayrelease', appid)).toHaveLength(1);
    expect(t.stack.emulator!.state.get(appid)!.gray).toMatchObject({ status: 1, gray_percentage: 10 });
    const bad = await t.operator(`/api/deployments/${id}/release`, { method: 'POST', body: JSON.stringify({ grayPercentage: 101 }) });
    expect(bad.status).toBe(400);
    // Completing it releases the gray version to everyone.
    expect((await t.operator(`/api/deployments/${id}/release`, { method: 'POST' })).status).toBe(202);
    await settle(id, (v) => v.counts.released === 1);
    expect(await successful('/wxa/release', appid)).toHaveLength(1);
    expect(t.stack.emulator!.state.get(appid)!.released?.userVersion).toBe('5.1.0');
    expect((await services().tenants.get(appid))!.releasedVersion).toBe('5.1.0');
  });

  it('cancels targets not yet submitted', async () => {
    const appid = appids[2]!;
    // Hold the commit long enough to cancel behind it.
    await t.admin('/faults', { path: '/wxa/commit', appid, errcode: -1, times: 1 });
    const id = await deploy({ userVersion: '5.2.0', tenants: [appid] });
    await settle(id, (v) => v.targets[0]?.state === 'queued' && (v.targets[0].error?.code === -1));
    expect((await t.operator(`/api/deployments/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    const done = await settle(id, (v) => v.status === 'cancelled');
    expect(done.counts).toEqual({ cancelled: 1 });
  });

  it('cancelling right away settles every target, and a cancelled deployment cannot be retried', async () => {
    const id = await deploy({ userVersion: '5.2.1', tenants: appids.slice(0, 3) });
    expect((await t.operator(`/api/deployments/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    const done = await settle(id, (v) => v.status === 'cancelled' || v.status === 'completed');
    expect(done.status).toBe('cancelled');
    expect(done.counts.queued ?? 0).toBe(0);
    const retry = await t.operator(`/api/deployments/${id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(409);
  });

  it('pauses audit submissions fleet-wide on 85085 and resumes on retry', async () => {
    const fleet = appids.slice(0, 2);
    await t.admin('/faults', { path: '/wxa/submit_audit', errcode: 85085, times: 1 });
    const id = await deploy({ userVersion: '5.3.0', tenants: fleet });
    const paused = await settle(id, (v) => v.status === 'paused');
    expect(paused.pausedReason).toContain('85085');
    expect((await t.operator(`/api/deployments/${id}/retry`, { method: 'POST' })).status).toBe(202);
    await settle(id, (v) => v.counts.released === 2);
  });

  it('answers 404 for an unknown deployment or action, 400 for a bad body', async () => {
    expect((await t.operator('/api/deployments/d-nope-00000000')).status).toBe(404);
    const id = await deploy({ userVersion: '5.4.0', tenants: [appids[0]!], submitAudit: false });
    expect((await t.operator(`/api/deployments/${id}/explode`, { method: 'POST' })).status).toBe(404);
    for (const body of [{}, { templateId: 999, userVersion: '1', userDesc: 'x' }, { templateId: 1, userVersion: 'x'.repeat(65), userDesc: 'x' }, { templateId: 1, userVersion: '1', userDesc: 'x', tenants: ['nope'] }]) {
      const response = await t.operator('/api/deployments', { method: 'POST', body: JSON.stringify(body) });
      expect([400, 404], JSON.stringify(body)).toContain(response.status);
    }
  });
});
