/**
 * What an operator sees in CloudWatch: the EMF metrics the functions write while they work,
 * driven end to end through the local runtime and the emulator. The names and dimensions are the
 * ones the CDK alarms and dashboard read (shared/metrics/definitions.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/services';
import { TICKET_STALE_AFTER_MS } from '../../shared/tickets/ticket-freshness';
import { refreshExpiringTokens } from '../../shared/tokens/scheduled-refresh';
import { addFault, removeFaults, settle } from '../support/fault-matrix';
import { captureMetrics, type MetricsCapture } from '../support/metrics';
import { authorizeTenants, startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let appids: string[];
let metrics: MetricsCapture;

beforeAll(async () => {
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  process.env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS = '1';
  // Ten-minute tokens: always inside the refresher's 20-minute window.
  t = await startTestStack({ emulator: { miniPrograms: 4, auditDelayMs: 200, authorizerTokenTtlSec: 600, componentTokenTtlSec: 600 } });
  appids = await authorizeTenants(t, 3);
}, 60_000);
afterAll(() => t?.close());
afterEach(() => metrics?.stop());

describe('operational metrics', () => {
  it('counts every authenticated push by kind and every refused one by reason', async () => {
    metrics = captureMetrics();
    // An hour-old ticket: authentic, so received and counted, but older than the stored one, so kept out.
    const ticket = { AppId: t.stack.emulator!.platform.componentAppid, CreateTime: Math.floor(Date.now() / 1000) - 3600, InfoType: 'component_verify_ticket', ComponentVerifyTicket: 'ticket@metrics' };
    expect((await t.push('/wechat/ticket', ticket)).status).toBe(200);
    expect(metrics.sum('PushReceived', { kind: 'component_verify_ticket' })).toBe(1);

    const forged = await t.api('/wechat/ticket?msg_signature=0&timestamp=1&nonce=1', { method: 'POST', body: '<xml><Encrypt>AAAA</Encrypt></xml>' });
    expect(forged.status).toBe(401);
    const garbled = await t.api(`/wechat/callback/${appids[0]}?msg_signature=0&timestamp=1&nonce=1`, { method: 'POST', body: '<xml><Encrypt>' });
    expect(garbled.status).toBe(400);
    expect(metrics.sum('PushRejected', { reason: 'invalid_signature' })).toBe(1);
    expect(metrics.named('PushRejected')).toHaveLength(2);
  });

  it('reports the ticket age on every refresher run, past the alarm threshold when pushes stop', async () => {
    metrics = captureMetrics();
    const stored = (await services().tickets.latest())!;
    await refreshExpiringTokens(services());
    const staleAtMs = stored.receivedAtMs + TICKET_STALE_AFTER_MS + 5 * 60_000;
    await refreshExpiringTokens(services(), { nowMs: staleAtMs });
    const ages = metrics.named('VerifyTicketAgeSeconds').map((m) => m.value);
    expect(ages).toHaveLength(2);
    expect(ages[0]).toBeLessThan(60);
    expect(ages[1]).toBeGreaterThan(TICKET_STALE_AFTER_MS / 1000);
  });

  it('counts tokens refreshed and refreshes that failed, with the errcode WeChat answered', async () => {
    metrics = captureMetrics();
    const fault = await addFault(t, { path: '/cgi-bin/component/api_authorizer_token', appid: appids[0], errcode: -1, times: 1 });
    const report = await refreshExpiringTokens(services());
    await removeFaults(t, [fault]);
    expect(report.tenantsFailed).toBe(1);
    expect(metrics.sum('TokenRefreshFailed', { token: 'authorizer' })).toBe(1);
    expect(metrics.sum('TokenRefreshed', { token: 'authorizer' })).toBe(report.tenantsRefreshed);
    expect(report.tenantsRefreshed).toBe(2);
    expect(metrics.sum('WeChatError', { errcode: '-1' })).toBe(1);
    expect(metrics.named('WeChatError')[0]!.fields.api).toBe('/cgi-bin/component/api_authorizer_token');
  });

  it('counts a tenant entering needs_reauth once, not every time it is found so', async () => {
    metrics = captureMetrics();
    const appid = appids[2]!;
    const fault = await addFault(t, { path: '/cgi-bin/component/api_authorizer_token', appid, errcode: 61023 });
    await services().authorizerTokens.forTenant(appid).refreshNow().catch(() => undefined);
    await removeFaults(t, [fault]);
    expect((await services().tenants.get(appid))!.status).toBe('needs_reauth');
    await services().tenants.markUnusable(appid, 'needs_reauth', 'found again');
    expect(metrics.sum('TenantNeedsReauth')).toBe(1);
    // Its merchant being asked to authorize again is not a failure of the token machinery.
    expect(metrics.sum('TokenRefreshFailed')).toBe(0);
  });

  it('counts every deploy target entering each state, once per state', async () => {
    metrics = captureMetrics();
    const fleet = appids.slice(0, 2);
    const response = await t.operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '3.0.0', userDesc: 'metrics', tenants: fleet }) });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await settle(t, id, (v) => v.counts.released === 2);
    for (const state of ['queued', 'committing', 'committed', 'submitting', 'auditing', 'approved', 'releasing', 'released']) {
      expect(metrics.sum('DeployTransition', { state }), state).toBe(2);
    }
  });
});
