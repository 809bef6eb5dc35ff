/**
 * Issue #16, message forwarding through the local runtime: the emulator pushes user messages and
 * events to a tenant as WeChat does; mpfleet POSTs each to the tenant's forward URL (or the
 * platform default) once, signed, through the forwarding queue; a receiver that is down gets
 * everything once it is back; one that refuses until the retry window closes leaves dead
 * deliveries an operator can see and redrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../shared/forwarding/signature';
import { services } from '../../shared/services';
import { startReceiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let tenantA: string;
let tenantB: string;
let tenantC: string;

beforeAll(async () => {
  // Retries every 1-2 s instead of 5 s … 15 min, so the outage tests take seconds.
  Object.assign(process.env, { FORWARD_RETRY_BASE_SECONDS: '1', FORWARD_RETRY_MAX_SECONDS: '2' });
  t = await startTestStack({ emulator: { miniPrograms: 4 } });
  await t.until(async () => services().tickets.latest());
  [tenantA, tenantB, tenantC] = (await t.seededAppids()).slice(0, 3) as [string, string, string];
  for (const appid of [tenantA, tenantB, tenantC]) await t.admin('/authorize', { appid });
  // The release-gate check each authorization queues lands on its own time: wait for it, so the
  // table comparisons below see only what forwarding writes.
  await t.until(async () => {
    const { tenants } = await services().tenants.list();
    return (tenants.length === 3 && tenants.every((tenant) => tenant.readiness)) || undefined;
  }, 30_000);
}, 60_000);
afterAll(async () => {
  await t?.close();
  delete process.env.FORWARD_RETRY_BASE_SECONDS;
  delete process.env.FORWARD_RETRY_MAX_SECONDS;
  delete process.env.FORWARD_GIVE_UP_SECONDS;
});

interface Settings {
  url: string;
  signingSecret: string;
}
interface Status {
  forwarding: { url: string; source: string } | null;
  counts: Record<string, number>;
  stalled: number;
  deliveries: { id: string; type: string; status: string; attempts: number; lastError?: { httpStatus?: number; message: string } }[];
}

async function forwardTo(appid: string | undefined, url: string, extra: Record<string, unknown> = {}): Promise<Settings> {
  const response = await t.operator(appid ? `/api/tenants/${appid}/forwarding` : '/api/forwarding', { method: 'PUT', body: JSON.stringify({ url, ...extra }) });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Settings;
}

const status = async (appid: string, query = ''): Promise<Status> => (await (await t.operator(`/api/tenants/${appid}/forwarding${query}`)).json()) as Status;

describe('forwarding settings', () => {
  it('answers the URL and a signing secret, keeps the secret on a new URL until asked to rotate, and refuses bad input changing nothing', async () => {
    const first = await forwardTo(tenantC, 'https://backend.example.com/wechat');
    expect(first.signingSecret).toMatch(/^mpfwd_[A-Za-z0-9_-]{43}$/);
    const moved = await forwardTo(tenantC, 'https://backend.example.com/v2/wechat');
    expect(moved.signingSecret).toBe(first.signingSecret);
    const rotated = await forwardTo(tenantC, 'https://backend.example.com/v2/wechat', { rotateSecret: true });
    expect(rotated.signingSecret).not.toBe(first.signingSecret);

    const before = await t.snapshot();
    for (const [body, code] of [
      [{ url: 'ftp://backend.example.com/' }, 400],
      [{ url: 'not a url' }, 400],
      [{ url: 'https://user:pass@backend.example.com/' }, 400],
      [{ url: 'https://backend.example.com/', extra: 1 }, 400],
    ] as const) {
      const response = await t.operator(`/api/tenants/${tenantC}/forwarding`, { method: 'PUT', body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(code);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    }
    expect((await t.operator('/api/tenants/wx0000000000000000/forwarding', { method: 'PUT', body: JSON.stringify({ url: 'https://a.example.com/' }) })).status).toBe(404);
    expect((await t.operator('/api/tenants/nope/forwarding')).status).toBe(400);
    expect((await t.operator(`/api/tenants/${tenantC}/forwarding?status=lost`)).status).toBe(400);
    expect(await t.snapshot()).toEqual(before);

    expect((await t.operator(`/api/tenants/${tenantC}/forwarding`, { method: 'DELETE' })).status).toBe(204);
    expect((await status(tenantC)).forwarding).toBeNull();
    expect((await t.operator(`/api/tenants/${tenantC}/forwarding`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('forwarding messages and events', () => {
  it("delivers a text message pushed to tenant A to A's URL exactly once, signed, even when WeChat pushes it twice", async () => {
    const receiverA = await startReceiver();
    const receiverB = await startReceiver();
    try {
      const { signingSecret } = await forwardTo(tenantA, receiverA.url);
      await forwardTo(tenantB, receiverB.url);
      const sent = await t.admin<{ msgId: number; openid: string }>('/user-message', { appid: tenantA, msgType: 'text', content: '你好，有货吗？' });
      await t.until(async () => receiverA.received.length === 1 || undefined, 15_000);

      const [got] = receiverA.received;
      expect(got!.id).toBe(String(sent.msgId));
      expect(verifySignature(signingSecret, got!.raw, got!.signature)).toBe(true);
      expect(verifySignature('another-secret', got!.raw, got!.signature)).toBe(false);
      expect(got!.body).toMatchObject({ appid: tenantA, MsgType: 'text', Content: '你好，有货吗？', MsgId: String(sent.msgId), FromUserName: sent.openid });

      // WeChat's retry of the same push (same fields, sealed afresh) is not forwarded again.
      const userName = (await services().tenants.get(tenantA))!.userName!;
      const again = { ToUserName: userName, FromUserName: sent.openid, CreateTime: Number(got!.body.CreateTime), MsgType: 'text', Content: '你好，有货吗？', MsgId: sent.msgId };
      expect(await (await t.push(`/wechat/callback/${tenantA}`, again, { ToUserName: userName })).text()).toBe('success');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(receiverA.received).toHaveLength(1);
      expect(receiverB.received).toHaveLength(0);

      const seen = await status(tenantA);
      expect(seen.forwarding).toMatchObject({ url: receiverA.url, source: 'tenant' });
      expect(seen.counts).toMatchObject({ delivered: 1, dead: 0 });
      expect(seen.deliveries[0]).toMatchObject({ id: String(sent.msgId), type: 'text', status: 'delivered', attempts: 1 });
    } finally {
      await receiverA.close();
      await receiverB.close();
      await t.operator(`/api/tenants/${tenantB}/forwarding`, { method: 'DELETE' });
    }
  });

  it('forwards events under their dedupe key to the platform default when the tenant has no URL of its own', async () => {
    const receiver = await startReceiver();
    try {
      await forwardTo(undefined, receiver.url);
      await t.admin('/user-message', { appid: tenantB, msgType: 'event', event: 'user_enter_tempsession', sessionFrom: 'product-42' });
      await t.until(async () => receiver.received.length === 1 || undefined, 15_000);
      const [got] = receiver.received;
      expect(got!.body).toMatchObject({ appid: tenantB, MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'product-42' });
      expect(got!.id).toBe(`event:${String(got!.body.FromUserName)}:${String(got!.body.CreateTime)}:user_enter_tempsession`);
      expect((await status(tenantB)).forwarding).toMatchObject({ source: 'platform' });
      // Audit results are mpfleet's own: never forwarded.
      const userName = (await services().tenants.get(tenantB))!.userName!;
      await t.push(`/wechat/callback/${tenantB}`, { ToUserName: userName, FromUserName: 'o-wechat', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'event', Event: 'weapp_audit_success', SuccTime: 1 }, { ToUserName: userName });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
      await t.operator('/api/forwarding', { method: 'DELETE' });
    }
  });

  it('delivers all 100 messages pushed while the receiver was down for 30 s, each once', async () => {
    const receiver = await startReceiver();
    try {
      await forwardTo(tenantA, receiver.url);
      const already = (await status(tenantA)).counts.delivered!;
      await receiver.down();
      const { msgIds } = await t.admin<{ msgIds: number[] }>('/user-messages', { appid: tenantA, count: 100, content: 'order update' });
      expect(msgIds).toHaveLength(100);
      // Failing meanwhile: retried, none given up.
      await t.until(async () => ((await status(tenantA, '?status=retrying&limit=200')).deliveries.length === 100 ? true : undefined), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 30_000 - 0));
      const during = await status(tenantA);
      expect(during.counts.dead).toBe(0);
      expect(during.deliveries.find((d) => d.status === 'retrying')!.lastError!.message).toMatch(/could not reach the receiver/);
      await receiver.up();
      const backAtMs = Date.now();

      await t.until(async () => (receiver.received.length >= 100 ? true : undefined), 60_000);
      console.log(`forwarding: 100 messages pushed while the receiver was down for 30 s, all received ${((Date.now() - backAtMs) / 1000).toFixed(1)} s after it came back`);
      await t.until(async () => ((await status(tenantA)).counts.delivered === already + 100 ? true : undefined), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const ids = receiver.received.map((r) => r.id);
      expect(new Set(ids).size).toBe(100);
      expect(ids).toHaveLength(100);
      expect(new Set(ids)).toEqual(new Set(msgIds.map(String)));
      expect((await status(tenantA)).counts).toMatchObject({ pending: 0, retrying: 0, dead: 0 });
    } finally {
      await receiver.close();
    }
  }, 150_000);

  it('gives up on a receiver that keeps refusing, shows why, and redrives the dead deliveries once it is fixed', async () => {
    process.env.FORWARD_GIVE_UP_SECONDS = '3';
    const receiver = await startReceiver();
    try {
      receiver.answerWith(500);
      await forwardTo(tenantC, receiver.url);
      await t.admin('/user-messages', { appid: tenantC, count: 3, content: 'refund request' });
      const dead = await t.until(async () => {
        const seen = await status(tenantC, '?status=dead');
        return seen.deliveries.length === 3 ? seen : undefined;
      }, 30_000);
      expect(dead.deliveries[0]!.lastError).toMatchObject({ httpStatus: 500, message: expect.stringContaining('answered 500') });
      expect(dead.deliveries[0]!.attempts).toBeGreaterThanOrEqual(2);
      expect(receiver.received).toHaveLength(0);

      receiver.answerWith(204);
      const redrive = await (await t.operator(`/api/tenants/${tenantC}/forwarding/redrive`, { method: 'POST' })).json();
      expect(redrive).toEqual({ redriven: 3 });
      await t.until(async () => (receiver.received.length === 3 ? true : undefined), 15_000);
      await t.until(async () => ((await status(tenantC)).counts.delivered === 3 ? true : undefined), 10_000);
      expect((await status(tenantC)).counts.dead).toBe(0);
      // Nothing left to redrive: a second call queues nothing.
      expect(await (await t.operator(`/api/tenants/${tenantC}/forwarding/redrive`, { method: 'POST' })).json()).toEqual({ redriven: 0 });
    } finally {
      delete process.env.FORWARD_GIVE_UP_SECONDS;
      await receiver.close();
    }
  }, 60_000);

  it('counts a delivery whose queue message was lost as stalled, and a redrive delivers it', async () => {
    const receiver = await startReceiver();
    try {
      await forwardTo(tenantB, receiver.url);
      // As if the message had been dead-lettered by SQS two hours ago: the item alone, past due.
      const twoHoursAgo = Date.now() - 2 * 3600_000;
      const body = JSON.stringify({ appid: tenantB, MsgType: 'text', Content: 'lost in the queue', MsgId: '424242' });
      await services().deliveries.create({ appid: tenantB, id: '424242', type: 'text', body, createdAtMs: twoHoursAgo }, twoHoursAgo);
      expect(await status(tenantB)).toMatchObject({ stalled: 1, counts: { pending: 1 } });

      expect(await (await t.operator(`/api/tenants/${tenantB}/forwarding/redrive`, { method: 'POST' })).json()).toEqual({ redriven: 1 });
      await t.until(async () => (receiver.received.length === 1 ? true : undefined), 15_000);
      expect(receiver.received[0]!).toMatchObject({ id: '424242', raw: body });
      expect(await status(tenantB)).toMatchObject({ stalled: 0, counts: { pending: 0 } });
    } finally {
      await receiver.close();
      await t.operator(`/api/tenants/${tenantB}/forwarding`, { method: 'DELETE' });
    }
  });
});
