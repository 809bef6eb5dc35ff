import { afterEach, describe, expect, it, vi } from 'vitest';
import { readinessMaxAgeMs, refreshStaleReadiness, withFreshReadiness } from '../../../shared/readiness/refresh-readiness';
import type { Tenant } from '../../../shared/tenants/tenant';
import { TenantUnusableError } from '../../../shared/tokens/errors';
import { WeChatApiError } from '../../../shared/wechat/errors';
import { appidOf } from '../../support/memory-deploy-engine';
import { readinessPorts, storedReadiness } from '../../support/readiness-fleet';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const unreachable = () => new WeChatApiError({ code: -1, errmsg: 'ETIMEDOUT', path: '/wxa/icp/get_icp_entrance_info', network: true });

/** The appids whose release gates were read from WeChat, in the order the checks began. */
const checked = (ports: ReturnType<typeof readinessPorts>) => ports.wechat.calls.filter((c) => c.method === 'getIcpEntranceInfo').map((c) => c.appid);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('readinessMaxAgeMs', () => {
  it('is 30 minutes unless READINESS_MAX_AGE_SECONDS says otherwise', () => {
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', undefined);
    expect(readinessMaxAgeMs()).toBe(30 * MINUTE);
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', '90');
    expect(readinessMaxAgeMs()).toBe(90_000);
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', '0');
    expect(readinessMaxAgeMs()).toBe(0);
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', '-5');
    expect(readinessMaxAgeMs()).toBe(30 * MINUTE);
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', 'soon');
    expect(readinessMaxAgeMs()).toBe(30 * MINUTE);
  });
});

describe('withFreshReadiness', () => {
  const now = 10 * HOUR;
  const [fresh, stale, never, revoked] = [1, 2, 3, 4].map(appidOf) as [string, string, string, string];

  async function fleet() {
    const ports = readinessPorts();
    ports.tenants
      .add(fresh, { readiness: storedReadiness(now - 29 * MINUTE) })
      .add(stale, { readiness: storedReadiness(now - 31 * MINUTE) })
      .add(never)
      .add(revoked, { status: 'revoked' });
    const tenants = await Promise.all([fresh, stale, never, revoked].map(async (appid) => (await ports.tenants.get(appid))!));
    return { ports, tenants };
  }

  it('reads again only the active tenants whose readiness is missing or older than the max age, and stores it', async () => {
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', undefined);
    const { ports, tenants } = await fleet();
    const result = await withFreshReadiness(ports, tenants, now);

    expect(checked(ports).sort()).toEqual([stale, never]);
    expect(result.map((t) => t.appid)).toEqual([fresh, stale, never, revoked]);
    const [keptFresh, readStale, readNever, keptRevoked] = result as [Tenant, Tenant, Tenant, Tenant];
    expect(keptFresh.readiness).toMatchObject({ checkedAtMs: now - 29 * MINUTE, ready: false });
    expect(readStale.readiness).toMatchObject({ checkedAtMs: now, ready: true });
    expect(readNever.readiness).toMatchObject({ checkedAtMs: now, ready: true });
    expect(keptRevoked.readiness).toBeUndefined();
    expect((await ports.tenants.get(stale))!.readiness).toMatchObject({ checkedAtMs: now, ready: true });
    expect((await ports.tenants.get(never))!.readiness).toMatchObject({ checkedAtMs: now, ready: true });
  });

  it('trusts readiness exactly the max age old', async () => {
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', '1800');
    const ports = readinessPorts();
    ports.tenants.add(fresh, { readiness: storedReadiness(now - 30 * MINUTE) });
    await withFreshReadiness(ports, [(await ports.tenants.get(fresh))!], now);
    expect(checked(ports)).toEqual([]);
  });

  it('follows READINESS_MAX_AGE_SECONDS', async () => {
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', '60');
    const ports = readinessPorts();
    ports.tenants.add(fresh, { readiness: storedReadiness(now - 2 * MINUTE) });
    const [tenant] = await withFreshReadiness(ports, [(await ports.tenants.get(fresh))!], now);
    expect(checked(ports)).toEqual([fresh]);
    expect(tenant!.readiness!.ready).toBe(true);
  });

  it('keeps the stored readiness of a tenant WeChat could not be asked about', async () => {
    vi.stubEnv('READINESS_MAX_AGE_SECONDS', undefined);
    const { ports, tenants } = await fleet();
    ports.wechat.script('getIcpEntranceInfo', unreachable(), { appid: stale });
    ports.wechat.script('getIcpEntranceInfo', new TenantUnusableError(never, 'needs_reauth'), { appid: never });
    const result = await withFreshReadiness(ports, tenants, now);

    expect(result[1]!.readiness).toMatchObject({ checkedAtMs: now - 31 * MINUTE, ready: false });
    expect(result[2]!.readiness).toBeUndefined();
    expect((await ports.tenants.get(stale))!.readiness!.checkedAtMs).toBe(now - 31 * MINUTE);
    expect((await ports.tenants.get(never))!.readiness).toBeUndefined();
  });

  it('calls WeChat for nothing when every readiness is fresh', async () => {
    const ports = readinessPorts();
    ports.tenants.add(fresh, { readiness: storedReadiness(now) });
    const tenants = [(await ports.tenants.get(fresh))!];
    expect(await withFreshReadiness(ports, tenants, now)).toEqual(tenants);
    expect(ports.wechat.calls).toEqual([]);
  });
});

describe('refreshStaleReadiness', () => {
  it('checks the active tenants whose readiness is missing or older than 6 hours, the oldest first', async () => {
    const now = Date.now();
    const ports = readinessPorts();
    const [sevenHours, fiveHours, never, revoked, nineHours] = [1, 2, 3, 4, 5].map(appidOf) as [string, string, string, string, string];
    ports.tenants
      .add(sevenHours, { readiness: storedReadiness(now - 7 * HOUR) })
      .add(fiveHours, { readiness: storedReadiness(now - 5 * HOUR) })
      .add(never)
      .add(revoked, { status: 'revoked', readiness: storedReadiness(now - 9 * HOUR) })
      .add(nineHours, { readiness: storedReadiness(now - 9 * HOUR) });

    const report = await refreshStaleReadiness(ports, now);

    expect(report).toEqual({ tenants: 4, checked: 3, failed: 0 });
    expect(checked(ports)).toEqual([never, nineHours, sevenHours]);
    for (const appid of [never, nineHours, sevenHours]) expect((await ports.tenants.get(appid))!.readiness).toMatchObject({ ready: true });
    expect((await ports.tenants.get(fiveHours))!.readiness).toMatchObject({ checkedAtMs: now - 5 * HOUR, ready: false });
    expect((await ports.tenants.get(revoked))!.readiness).toMatchObject({ checkedAtMs: now - 9 * HOUR });
  });

  it('checks at most 500 per run, leaving the newest of the stale for the next', async () => {
    const now = Date.now();
    const ports = readinessPorts();
    for (let n = 1; n <= 502; n++) ports.tenants.add(appidOf(n), { readiness: storedReadiness(now - 7 * HOUR - n * MINUTE) });

    const report = await refreshStaleReadiness(ports, now);

    expect(report).toEqual({ tenants: 502, checked: 500, failed: 0 });
    const seen = new Set(checked(ports));
    expect(seen.size).toBe(500);
    // The two checked most recently (n = 1, 2) wait for the next run.
    expect(seen.has(appidOf(1))).toBe(false);
    expect(seen.has(appidOf(2))).toBe(false);
    expect(seen.has(appidOf(502))).toBe(true);
  });

  it('counts a check that could not reach WeChat as failed and keeps the stored readiness', async () => {
    const now = Date.now();
    const ports = readinessPorts();
    ports.tenants.add(appidOf(1), { readiness: storedReadiness(now - 7 * HOUR) }).add(appidOf(2));
    ports.wechat.script('getIcpEntranceInfo', unreachable(), { appid: appidOf(1) });

    expect(await refreshStaleReadiness(ports, now)).toEqual({ tenants: 2, checked: 1, failed: 1 });
    expect((await ports.tenants.get(appidOf(1)))!.readiness!.checkedAtMs).toBe(now - 7 * HOUR);
    expect((await ports.tenants.get(appidOf(2)))!.readiness).toMatchObject({ ready: true });
  });

  it('does nothing when every readiness is recent', async () => {
    const now = Date.now();
    const ports = readinessPorts();
    ports.tenants.add(appidOf(1), { readiness: storedReadiness(now - HOUR) });
    expect(await refreshStaleReadiness(ports, now)).toEqual({ tenants: 1, checked: 0, failed: 0 });
    expect(ports.wechat.calls).toEqual([]);
  });
});
