import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageCrypto } from '../../../shared/wechat/crypto';
import { parseXml } from '../../../shared/wechat/xml';
import type { Emulator } from '../../../local/emulator/server';
import { admin, callApi, isPushOf, openReceivedPush, platformCrypto, startEmulatorWith, startReceiver } from './helpers';
import type { Receiver } from './helpers';

describe('component_verify_ticket push', () => {
  let emulator: Emulator;
  let receiver: Receiver;

  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('arrives shortly after start, sealed like WeChat and decryptable with MessageCrypto', async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver);
    const push = await receiver.waitFor(isPushOf('component_verify_ticket'));

    expect(push.method).toBe('POST');
    expect(push.path).toBe('/wechat/ticket');
    expect(push.query).toMatchObject({ encrypt_type: 'aes', timestamp: expect.stringMatching(/^\d{10}$/), nonce: expect.any(String) });
    expect(platformCrypto.verifySignature(push.query.signature ?? '', push.query.timestamp ?? '', push.query.nonce ?? '')).toBe(true);

    const outer = parseXml(push.body);
    expect(outer.AppId).toBe(emulator.platform.componentAppid);
    // Decrypting by hand (not via openPush) proves the msg_signature and the trailing appid.
    const encrypted = outer.Encrypt as string;
    const crypto = new MessageCrypto({
      token: emulator.platform.token,
      encodingAesKey: emulator.platform.encodingAesKey,
      appid: emulator.platform.componentAppid,
    });
    expect(crypto.verifyMsgSignature(push.query.msg_signature ?? '', push.query.timestamp ?? '', push.query.nonce ?? '', encrypted)).toBe(true);
    const inner = parseXml(crypto.decrypt(encrypted).message);
    expect(inner).toEqual({
      AppId: emulator.platform.componentAppid,
      CreateTime: expect.stringMatching(/^\d{10}$/),
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: emulator.state.latestTicket()?.value,
    });
  });

  it('is pushed again by api_start_push_ticket and by the admin endpoint', async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver);
    await receiver.waitFor(isPushOf('component_verify_ticket'));

    const answer = await callApi(emulator, '/cgi-bin/component/api_start_push_ticket', {
      body: { component_appid: emulator.platform.componentAppid, component_secret: emulator.platform.componentSecret },
    });
    expect(answer).toEqual({ errcode: 0, errmsg: 'ok' });
    const { json } = await admin(emulator, 'POST', '/__admin/push-ticket');
    const pushed = await receiver.waitFor((r) => isPushOf('component_verify_ticket')(r) && openReceivedPush(r).fields.ComponentVerifyTicket === json.ticket);
    expect(pushed).toBeDefined();
    expect(receiver.requests.filter(isPushOf('component_verify_ticket')).length).toBe(3);
  });

  it('refuses api_start_push_ticket with a wrong secret', async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver);
    const answer = await callApi(emulator, '/cgi-bin/component/api_start_push_ticket', {
      body: { component_appid: emulator.platform.componentAppid, component_secret: 'wrong' },
    });
    expect(answer.errcode).toBe(40125);
  });

  it('is retried up to 3 times when the service does not answer "success", and each attempt is logged', async () => {
    receiver = await startReceiver(() => ({ status: 500, body: 'boom' }));
    emulator = await startEmulatorWith(receiver);
    await receiver.waitFor(() => receiver.requests.length >= 4);
    await sleep(200); // room for a fifth attempt that must not come
    expect(receiver.requests).toHaveLength(4);
    const tickets = receiver.requests.map((r) => openReceivedPush(r).fields.ComponentVerifyTicket);
    expect(new Set(tickets).size).toBe(1); // the same push, retried

    const { json } = await admin(emulator, 'GET', '/__admin/calls?kind=push&path=/wechat/ticket');
    const calls = json.calls as { attempt: number; status: number; responseBody: string; type: string; delivered: boolean }[];
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3, 4]);
    expect(calls[0]).toMatchObject({ status: 500, responseBody: 'boom', type: 'component_verify_ticket', delivered: false });
  });

  it('stops retrying once the service answers "success"', async () => {
    let answered = 0;
    receiver = await startReceiver(() => (++answered === 1 ? 'not yet' : 'success'));
    emulator = await startEmulatorWith(receiver);
    await receiver.waitFor(() => receiver.requests.length >= 2);
    await sleep(200);
    expect(receiver.requests).toHaveLength(2);
    const { json } = await admin(emulator, 'GET', '/__admin/calls?kind=push');
    expect((json.calls as { delivered: boolean }[]).map((call) => call.delivered)).toEqual([false, true]);
  });
});
