/**
 * Issue #16 with the standard "nothing is lost": `npm start` as a real process group, a tenant
 * forwarding to a receiver that is down, 40 user messages pushed and queued for it, `kill -9` of
 * the process group, a restart, the receiver back: every message arrives, each once.
 *
 *   npx vitest run test/functions/forwarding-restart.test.ts
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePortPair } from '../support/free-port';
import { NpmStartProcess, stackClients } from '../support/npm-start';
import { startReceiver } from '../support/receiver';

const MESSAGES = 40;
const stack = new NpmStartProcess('mpfleet-forward-restart');
afterAll(() => stack.close());

interface Status {
  counts: Record<'pending' | 'retrying' | 'delivered' | 'dead', number>;
}

describe('forwarding survives kill -9 of npm start', () => {
  it(`delivers ${MESSAGES} messages queued before the kill once the receiver is back, each once`, { timeout: 240_000 }, async () => {
    const port = await freePortPair();
    const env = stack.env({ PORT: String(port), EMULATOR_MINI_PROGRAMS: '2', FORWARD_RETRY_BASE_SECONDS: '1', FORWARD_RETRY_MAX_SECONDS: '2', POWERTOOLS_LOG_LEVEL: 'WARN' });
    const { operator, admin, until } = stackClients(stack, port);
    const receiver = await startReceiver();
    try {
      await stack.start(env);
      await until('the first component_verify_ticket', async () => (await operator('/api/auth-links', { method: 'POST', body: '{}' })).status === 200, 60_000);
      const { miniPrograms } = await admin<{ miniPrograms: { appid: string }[] }>('/state');
      const appid = miniPrograms[0]!.appid;
      await admin('/authorize', { appid });
      await until('the tenant', async () => (await operator(`/api/tenants/${appid}`)).status === 200, 30_000);
      expect((await operator(`/api/tenants/${appid}/forwarding`, { method: 'PUT', body: JSON.stringify({ url: receiver.url }) })).status).toBe(200);

      await receiver.down();
      const { msgIds } = await admin<{ msgIds: number[] }>('/user-messages', { appid, count: MESSAGES, content: 'before the crash' });
      const status = async () => (await operator<Status>(`/api/tenants/${appid}/forwarding`)).body;
      await until('every message queued and failing', async () => (await status()).counts.retrying === MESSAGES, 60_000);

      await stack.killGroup();
      await stack.start(env);
      await receiver.up();

      await until(`${MESSAGES} messages at the receiver`, async () => receiver.received.length >= MESSAGES, 90_000);
      await until('every delivery recorded', async () => (await status()).counts.delivered === MESSAGES, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const ids = receiver.received.map((r) => r.id);
      expect(ids).toHaveLength(MESSAGES);
      expect(new Set(ids)).toEqual(new Set(msgIds.map(String)));
      expect((await status()).counts).toMatchObject({ pending: 0, retrying: 0, dead: 0 });
    } finally {
      await receiver.close();
    }
  });
});
