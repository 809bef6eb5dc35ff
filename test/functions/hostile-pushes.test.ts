import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/services';
import { MessageCrypto } from '../../shared/wechat/crypto';
import { sealPush } from '../../shared/wechat/envelope';
import { buildXml } from '../../shared/wechat/xml';
import { changedItems, removedItems } from '../support/hostile';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let componentAppid: string;
beforeAll(async () => {
  t = await startTestStack();
  componentAppid = t.stack.emulator!.platform.componentAppid;
  // Let the emulator's start-up ticket push land first, so snapshots compare a settled table.
  await t.until(async () => services().tickets.latest());
});
afterAll(() => t?.close());

const ticket = () =>
  buildXml({ AppId: componentAppid, CreateTime: Math.floor(Date.now() / 1000) + 3600, InfoType: 'component_verify_ticket', ComponentVerifyTicket: 'ticket@@@hostile' });

async function post(route: string, query: Record<string, string>, body: string | Buffer) {
  return t.api(`${route}?${new URLSearchParams(query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
}

type Case = { name: string; status: number; code?: string; componentOnly?: boolean; send: (route: string) => Promise<Response> };

const cases: Case[] = [
  {
    name: 'bad msg_signature',
    status: 401,
    code: 'invalid_signature',
    send: (route) => {
      const sealed = sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: ticket() });
      return post(route, { ...sealed.query, msg_signature: '0'.repeat(40) }, sealed.body);
    },
  },
  {
    name: 'missing signature',
    status: 401,
    send: (route) => {
      const sealed = sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: ticket() });
      const { msg_signature: _drop, ...query } = sealed.query;
      return post(route, query, sealed.body);
    },
  },
  {
    name: 'tampered ciphertext (re-signed by someone who knows the token only)',
    status: 400,
    send: (route) => {
      const sealed = sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: ticket() });
      const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(sealed.body)![1]!;
      const flipped = Buffer.from(encrypt, 'base64');
      flipped[20] = flipped[20]! ^ 0xff;
      const tampered = flipped.toString('base64');
      const query = { ...sealed.query, msg_signature: t.crypto.msgSignature(sealed.query.timestamp!, sealed.query.nonce!, tampered) };
      return post(route, query, sealed.body.replace(encrypt, tampered));
    },
  },
  {
    name: 'encrypted for another appid',
    status: 400,
    code: 'appid_mismatch',
    send: (route) => {
      const other = new MessageCrypto({ token: t.stack.emulator!.platform.token, encodingAesKey: t.stack.emulator!.platform.encodingAesKey, appid: 'wx9999999999999999' });
      const sealed = sealPush(other, { outer: { AppId: componentAppid }, innerXml: ticket() });
      return post(route, sealed.query, sealed.body);
    },
  },
  {
    name: 'inner AppId of another platform',
    componentOnly: true,
    status: 400,
    code: 'appid_mismatch',
    send: (route) => {
      const inner = buildXml({ AppId: 'wx9999999999999999', CreateTime: 1, InfoType: 'component_verify_ticket', ComponentVerifyTicket: 'x' });
      const sealed = sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: inner });
      return post(route, sealed.query, sealed.body);
    },
  },
  { name: 'malformed outer XML', status: 400, send: (route) => post(route, { timestamp: '1', nonce: '1', msg_signature: 'x' }, '<xml><Encrypt>') },
  {
    name: 'DOCTYPE with entity expansion',
    status: 400,
    code: 'xml_doctype',
    send: (route) =>
      post(
        route,
        { timestamp: '1', nonce: '1', msg_signature: 'x' },
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>',
      ),
  },
  {
    name: 'DOCTYPE inside the encrypted payload',
    status: 400,
    code: 'xml_doctype',
    send: (route) => {
      const sealed = sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>${ticket()}` });
      return post(route, sealed.query, sealed.body);
    },
  },
  { name: '2 MB body', status: 413, send: (route) => post(route, { timestamp: '1', nonce: '1', msg_signature: 'x' }, Buffer.alloc(2 * 1024 * 1024, 'a')) },
  {
    name: 'ticket push missing its ticket',
    componentOnly: true,
    status: 400,
    code: 'xml_missing_field',
    send: (route) => {
      const sealed = sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: buildXml({ AppId: componentAppid, CreateTime: 1, InfoType: 'component_verify_ticket' }) });
      return post(route, sealed.query, sealed.body);
    },
  },
];

/*
 * Every case is refused before anything is recorded: not even the push log (which records every
 * authentic push) may gain an item, so the whole table must be as it was.
 */
describe('hostile pushes to /wechat/ticket and /wechat/callback/{appid}', () => {
  for (const route of ['/wechat/ticket', '/wechat/callback/wx0123456789abcdef']) {
    describe(route, () => {
      for (const c of cases) {
        if (route !== '/wechat/ticket' && c.componentOnly) continue;
        it(`${c.name} → ${c.status}, nothing changes`, async () => {
          const before = await t.snapshot();
          const response = await c.send(route);
          expect(response.status).toBe(c.status);
          const body = (await response.json()) as { error: { code: string } };
          expect(body.error.code).toBeTypeOf('string');
          if (c.code) expect(body.error.code).toBe(c.code);
          expect(await t.snapshot()).toEqual(before);
        });
      }
    });
  }
});

describe('an authentic push of an InfoType mpfleet does not know', () => {
  // Refused, WeChat would retry it for hours and the event be lost: it is acknowledged and recorded.
  it('is answered success and recorded once in the push log (nothing else changes); a replay adds nothing', async () => {
    const sealed = sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: buildXml({ AppId: componentAppid, CreateTime: 1, InfoType: 'surprise' }) });
    const before = await t.snapshot();
    const response = await post('/wechat/ticket', sealed.query, sealed.body);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('success');
    const after = await t.snapshot();
    expect(removedItems(before, after)).toEqual([]);
    const record = { source: 'component', type: 'surprise', createdAtMs: 1000, receivedAtMs: expect.any(Number), fields: { AppId: componentAppid, CreateTime: '1', InfoType: 'surprise' } };
    const sk = expect.stringMatching(/^000000000001000#[0-9a-f]{32}$/);
    // The platform's entry (no appid) and the fleet-wide one, in table order: nothing else.
    expect(changedItems(before, after)).toEqual([
      { pk: 'PUSHLOG#APPID#PLATFORM', sk, gsi1pk: 'PUSHLOG#TYPE#surprise', gsi1sk: sk, ...record, expiresAt: expect.any(Number) },
      { pk: 'PUSHLOG', sk, ...record, expiresAt: expect.any(Number) },
    ]);
    const listed = (await (await t.operator('/api/pushes?type=surprise')).json()) as { pushes: unknown[] };
    expect(listed.pushes).toEqual([record]);

    const replayed = await post('/wechat/ticket', sealed.query, sealed.body);
    expect(replayed.status).toBe(200);
    expect(await replayed.text()).toBe('success');
    expect(await t.snapshot()).toEqual(after);
  });
});
