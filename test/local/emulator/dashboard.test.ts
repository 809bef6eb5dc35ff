/**
 * The dashboard's buttons: each carries one admin request (data-method, data-path, data-body); the
 * page's script sends it as is (with a `reason` asked for when the button says so). These tests
 * read the buttons from the served page and send their requests the same way, through HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { admin, authorizeMiniProgram, callApi, isPushOf, startEmulatorWith, startReceiver } from './helpers';
import type { Authorized, Receiver } from './helpers';

interface Button {
  label: string;
  method: string;
  path: string;
  body: Record<string, unknown>;
  prompt?: string;
  confirm?: string;
}

const unescape = (text: string) =>
  text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function dashboard(emulator: Emulator): Promise<{ html: string; buttons: Button[] }> {
  const response = await fetch(`${emulator.url}/__admin`);
  expect(response.status).toBe(200);
  const html = await response.text();
  const buttons = [...html.matchAll(/<button type="button" ([^>]*)>([^<]*)<\/button>/g)].map(([, attributes, label]) => {
    const attribute = (name: string) => {
      const found = new RegExp(`data-${name}="([^"]*)"`).exec(attributes!);
      return found ? unescape(found[1]!) : undefined;
    };
    return {
      label: unescape(label!),
      method: attribute('method')!,
      path: attribute('path')!,
      body: JSON.parse(attribute('body') ?? '{}') as Record<string, unknown>,
      ...(attribute('prompt') ? { prompt: attribute('prompt') } : {}),
      ...(attribute('confirm') ? { confirm: attribute('confirm') } : {}),
    };
  });
  return { html, buttons };
}

/** Sends a button's request as the page's script does; `reason` is what the person typed at the prompt. */
async function click(emulator: Emulator, button: Button, reason?: string) {
  const body = { ...button.body, ...(button.prompt !== undefined && reason ? { reason } : {}) };
  const response = await fetch(new URL(button.path, emulator.url), {
    method: button.method,
    headers: { 'content-type': 'application/json' },
    ...(button.method === 'DELETE' ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const find = (buttons: Button[], label: string | RegExp, appid?: string) => {
  const found = buttons.find((b) => (typeof label === 'string' ? b.label === label : label.test(b.label)) && (appid === undefined || b.body.appid === appid));
  if (!found) throw new Error(`no button ${String(label)}${appid ? ` for ${appid}` : ''}`);
  return found;
};

describe('the emulator dashboard', () => {
  let emulator: Emulator;
  let receiver: Receiver;
  let mp: Authorized;

  beforeEach(async () => {
    receiver = await startReceiver();
    // Audits stay under review until a button decides them.
    emulator = await startEmulatorWith(receiver, { auditDelayMs: 3_600_000, miniPrograms: 3 });
    mp = await authorizeMiniProgram(emulator, 0);
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  const call = (path: string, body?: unknown) => callApi(emulator, path, { query: { access_token: mp.accessToken }, ...(body === undefined ? {} : { body }) });
  async function submitAudit(): Promise<number> {
    await call('/wxa/commit', { template_id: 1, ext_json: '{}', user_version: '2.0.0', user_desc: 'demo' });
    return (await call('/wxa/submit_audit', {})).auditid as number;
  }
  const auditStatus = async (auditid: number) => call('/wxa/get_auditstatus', { auditid });

  it('has a script that parses, and refreshes itself instead of a meta refresh', async () => {
    const { html } = await dashboard(emulator);
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(() => new Function(script)).not.toThrow();
    expect(html).not.toContain('http-equiv="refresh"');
  });

  it('offers approve / reject / delay only for an audit under review, and each does what it says', async () => {
    expect((await dashboard(emulator)).buttons.some((b) => b.label === 'Approve')).toBe(false);

    const approved = await submitAudit();
    await click(emulator, find((await dashboard(emulator)).buttons, 'Approve', mp.appid));
    expect(await auditStatus(approved)).toMatchObject({ status: 0 });
    await receiver.waitFor(isPushOf('weapp_audit_success'));

    const rejected = await submitAudit();
    const reject = find((await dashboard(emulator)).buttons, 'Reject…', mp.appid);
    expect(reject.prompt).toMatch(/reason/i);
    expect((await click(emulator, reject, '名称不符 / name mismatch')).status).toBe(200);
    expect(await auditStatus(rejected)).toMatchObject({ status: 1, reason: '名称不符 / name mismatch' });
    // For this audit only: the next one is decided as configured, not rejected again.
    expect(emulator.state.get(mp.appid)!.outcome).toBeUndefined();

    const delayed = await submitAudit();
    await click(emulator, find((await dashboard(emulator)).buttons, 'Delay', mp.appid));
    expect(await auditStatus(delayed)).toMatchObject({ status: 4 });
    await receiver.waitFor(isPushOf('weapp_audit_delay'));
    // A delayed audit can still be approved or rejected, not delayed again.
    const { buttons } = await dashboard(emulator);
    const auditAndAuthorization = (b: Button) => b.path === '/__admin/finish-audit' || b.path === '/__admin/revoke';
    expect(buttons.filter((b) => b.body.appid === mp.appid && auditAndAuthorization(b)).map((b) => b.label)).toEqual(['Approve', 'Reject…', 'Revoke']);
    await click(emulator, find(buttons, 'Reject…', mp.appid), '');
    expect(await auditStatus(delayed)).toMatchObject({ status: 1 });
  });

  it('revokes an authorization (after a confirmation) and pushes unauthorized', async () => {
    const revoke = find((await dashboard(emulator)).buttons, 'Revoke', mp.appid);
    expect(revoke.confirm).toContain(mp.appid);
    expect((await click(emulator, revoke)).json).toMatchObject({ ok: true, appid: mp.appid });
    await receiver.waitFor(isPushOf('unauthorized'));
    expect(emulator.state.get(mp.appid)!.authorization).toBeUndefined();
    // Only authorized mini-programs have the button.
    expect((await dashboard(emulator)).buttons.some((b) => b.label === 'Revoke')).toBe(false);
  });

  it('pushes a ticket now', async () => {
    const before = emulator.state.latestTicket()?.value;
    const tickets = () => emulator.state.calls.list({ kind: 'push' }).filter((c) => c.kind === 'push' && c.type === 'component_verify_ticket' && c.delivered).length;
    // The tickets pushed while starting (the first one, 100 ms after the start, and the one for the
    // component token) arrive first.
    await expect.poll(() => emulator.state.tickets.length).toBeGreaterThanOrEqual(2);
    await expect.poll(tickets).toBe(emulator.state.tickets.length);
    const pushed = tickets();
    const { json } = await click(emulator, find((await dashboard(emulator)).buttons, 'Push a ticket now'));
    expect(json.ticket).not.toBe(before);
    expect(emulator.state.latestTicket()?.value).toBe(json.ticket);
    await expect.poll(tickets).toBe(pushed + 1);
  });

  it('injects each preset fault, and clears them', async () => {
    const { buttons } = await dashboard(emulator);
    expect((await click(emulator, find(buttons, /^-1 on commit/))).status).toBe(201);
    expect(await call('/wxa/commit', { template_id: 1, ext_json: '{}', user_version: '2.0.0', user_desc: 'x' })).toMatchObject({ errcode: -1 });

    expect((await click(emulator, find(buttons, /^45009 on submit_audit/))).status).toBe(201);
    const started = Date.now();
    expect((await click(emulator, find(buttons, /^3 s latency/))).status).toBe(201);
    expect((await admin(emulator, 'GET', '/__admin/faults')).json.faults).toHaveLength(3);

    const clear = find((await dashboard(emulator)).buttons, /^Clear faults \(3\)/);
    expect((await click(emulator, clear)).json).toEqual({ removed: 3 });
    expect(await call('/wxa/commit', { template_id: 1, ext_json: '{}', user_version: '2.0.0', user_desc: 'x' })).toMatchObject({ errcode: 0 });
    expect(await call('/wxa/submit_audit', {})).toMatchObject({ errcode: 0 });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('the 45009 and latency presets do what they say', async () => {
    const { buttons } = await dashboard(emulator);
    await call('/wxa/commit', { template_id: 1, ext_json: '{}', user_version: '2.0.0', user_desc: 'x' });
    await click(emulator, find(buttons, /^45009 on submit_audit/));
    expect(await call('/wxa/submit_audit', {})).toMatchObject({ errcode: 45009 });
    await click(emulator, find(buttons, 'Clear faults (0)'));
    await click(emulator, find(buttons, /^3 s latency/));
    const started = Date.now();
    await call('/wxa/get_latest_auditstatus');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it('runs the full-network check and answers its report', async () => {
    const check = find((await dashboard(emulator)).buttons, 'Run the full-network check');
    expect(check).toMatchObject({ method: 'POST', path: '/__admin/full-network-test' });
    const { status, json } = await click(emulator, { ...check, body: { ...check.body, cases: [1] } });
    expect(status).toBe(200);
    expect(json).toMatchObject({ passed: true, cases: [expect.objectContaining({ passed: true })] });
  });
});
