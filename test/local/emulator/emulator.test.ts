import { afterEach, describe, expect, it } from 'vitest';
import { MessageCrypto } from '../../../shared/wechat/crypto';
import { EMULATOR_PLATFORM } from '../../../local/emulator/fixtures';
import { createEmulator } from '../../../local/emulator/server';
import type { Emulator } from '../../../local/emulator/server';
import { admin, authorizeMiniProgram, callApi } from './helpers';

describe('the emulator server', () => {
  let emulator: Emulator | undefined;
  afterEach(() => emulator?.close());

  it('has fake but well-formed platform credentials', () => {
    expect(EMULATOR_PLATFORM.componentAppid).toMatch(/^wx[0-9a-f]{16}$/);
    expect(EMULATOR_PLATFORM.encodingAesKey).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(() => new MessageCrypto({ ...EMULATOR_PLATFORM, appid: EMULATOR_PLATFORM.componentAppid })).not.toThrow();
  });

  // How fast it seeds is the bench's to measure (npm run bench), not a test's.
  it('seeds 10,000 mini-programs with stable distinct appids', async () => {
    emulator = await createEmulator({ miniPrograms: 10_000, ticketIntervalMs: 0 });
    const appids = emulator.state.seeded.map((mp) => mp.appid);
    expect(appids).toHaveLength(10_000);
    expect(new Set(appids).size).toBe(10_000);
    expect(appids.every((appid) => /^wx[0-9a-f]{16}$/.test(appid))).toBe(true);

    const again = await createEmulator({ miniPrograms: 2, ticketIntervalMs: 0 });
    expect(again.state.seeded.map((mp) => mp.appid)).toEqual(appids.slice(0, 2));
    await again.close();
  });

  it('binds 127.0.0.1 on an ephemeral port by default and refuses bad options', async () => {
    emulator = await createEmulator({ ticketIntervalMs: 0 });
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(createEmulator({ miniPrograms: 10_001 })).rejects.toThrow(RangeError);
    await expect(createEmulator({ auditOutcome: 'perhaps' as never })).rejects.toThrow(RangeError);
  });

  it('answers an unknown API path with 404 and errcode 40066', async () => {
    emulator = await createEmulator({ ticketIntervalMs: 0 });
    const response = await fetch(`${emulator.url}/cgi-bin/nothing_here`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errcode: number }).errcode).toBe(40066);
  });

  it('adds the base latency to every API call', async () => {
    emulator = await createEmulator({ ticketIntervalMs: 0, latencyMs: 150 });
    const started = performance.now();
    await callApi(emulator, '/wxa/gettemplatelist');
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('summarizes state and renders a dashboard', async () => {
    emulator = await createEmulator({ ticketIntervalMs: 0, miniPrograms: 3 });
    const mp = await authorizeMiniProgram(emulator, 1);
    const { json } = await admin(emulator, 'GET', '/__admin/state');
    expect(json.platform).toEqual(emulator.platform);
    const summaries = json.miniPrograms as { appid: string; authorized: boolean }[];
    expect(summaries.map((s) => [s.appid, s.authorized])).toEqual(emulator.state.seeded.map((m) => [m.appid, m.appid === mp.appid]));

    const page = await fetch(`${emulator.url}/__admin`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    for (const seeded of emulator.state.seeded) expect(html).toContain(seeded.appid);
    expect((await admin(emulator, 'GET', '/__admin/nope')).status).toBe(404);
    expect((await admin(emulator, 'POST', '/__admin/state')).status).toBe(405);
  });
});
