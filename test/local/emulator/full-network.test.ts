import { afterEach, describe, expect, it } from 'vitest';
import { sealReply } from '../../../shared/wechat/envelope';
import { buildXml } from '../../../shared/wechat/xml';
import type { Emulator } from '../../../local/emulator/server';
import { admin, callApi, openReceivedPush, platformCrypto, startEmulatorWith, startReceiver } from './helpers';
import type { ReceivedRequest, Receiver, ReceiverAnswer } from './helpers';

interface CaseResult {
  case: number;
  passed: boolean;
  details: string;
}

/** A minimal but correct service side of the full-network check. */
function correctResponder(getEmulator: () => Emulator) {
  let latestTicket: string | undefined;

  async function answerQueryAuthCode(appid: string, openid: string, code: string): Promise<void> {
    const emulator = getEmulator();
    const { componentAppid, componentSecret } = emulator.platform;
    const token = await callApi(emulator, '/cgi-bin/component/api_component_token', {
      body: { component_appid: componentAppid, component_appsecret: componentSecret, component_verify_ticket: latestTicket },
    });
    const auth = await callApi(emulator, '/cgi-bin/component/api_query_auth', {
      query: { component_access_token: token.component_access_token as string },
      body: { component_appid: componentAppid, authorization_code: code },
    });
    const info = auth.authorization_info as { authorizer_appid: string; authorizer_access_token: string };
    expect(info.authorizer_appid).toBe(appid);
    await callApi(emulator, '/cgi-bin/message/custom/send', {
      query: { access_token: info.authorizer_access_token },
      body: { touser: openid, msgtype: 'text', text: { content: `${code}_from_api` } },
    });
  }

  return (request: ReceivedRequest): ReceiverAnswer => {
    const { fields } = openReceivedPush(request);
    if (request.path === '/wechat/ticket') {
      if (typeof fields.ComponentVerifyTicket === 'string') latestTicket = fields.ComponentVerifyTicket;
      return 'success';
    }
    const appid = request.path.split('/').at(-1) ?? '';
    const from = fields.FromUserName as string;
    const to = fields.ToUserName as string;
    const reply = (content: string) =>
      sealReply(platformCrypto, buildXml({ ToUserName: from, FromUserName: to, CreateTime: Math.floor(Date.now() / 1000), MsgType: 'text', Content: content }));
    if (fields.MsgType === 'event') return reply(`${String(fields.Event)}from_callback`);
    const content = String(fields.Content);
    if (content.startsWith('QUERY_AUTH_CODE:')) {
      void answerQueryAuthCode(appid, from, content.slice('QUERY_AUTH_CODE:'.length));
      return '';
    }
    return reply(`${content}_callback`);
  };
}

describe('full-network release check', () => {
  let emulator: Emulator;
  let receiver: Receiver;

  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  const run = async (body: Record<string, unknown> = {}) => {
    const { status, json } = await admin(emulator, 'POST', '/__admin/full-network-test', { apiWaitMs: 1500, ...body });
    expect(status).toBe(200);
    return json as { passed: boolean; appid: string; cases: CaseResult[] };
  };

  it('passes every case against a correct service', async () => {
    receiver = await startReceiver();
    receiver.setHandler(correctResponder(() => emulator));
    emulator = await startEmulatorWith(receiver);
    await receiver.waitFor((r) => r.path === '/wechat/ticket'); // the service has a ticket

    const report = await run();
    expect(report.cases.map((c) => [c.case, c.passed, c.details])).toEqual([
      [1, true, expect.any(String)],
      [2, true, expect.any(String)],
      [3, true, expect.any(String)],
      [4, true, expect.any(String)],
    ]);
    expect(report.passed).toBe(true);
    expect(report.appid).toBe('wxd101a85aa106f53e');
    // The messages really went to the test appid's callback URL.
    expect(receiver.requests.some((r) => r.path === '/wechat/callback/wxd101a85aa106f53e')).toBe(true);
  });

  it('fails every case against a service that only ever answers "ok"', async () => {
    receiver = await startReceiver(() => 'ok');
    emulator = await startEmulatorWith(receiver);
    const report = await run();
    expect(report.passed).toBe(false);
    expect(report.cases.map((c) => c.passed)).toEqual([false, false, false, false]);
    expect(report.cases[0]!.details).toContain('"success"');
    expect(report.cases[1]!.details).toContain('encrypted passive reply');
    expect(report.cases[2]!.details).toContain('empty reply');
  });

  it('fails case 3 when the service replies empty but never sends <code>_from_api', async () => {
    receiver = await startReceiver(() => 'success');
    emulator = await startEmulatorWith(receiver);
    const report = await run({ cases: [3], apiWaitMs: 300 });
    expect(report.cases).toEqual([expect.objectContaining({ case: 3, passed: false, details: expect.stringContaining('custom/send') })]);
  });

  it('fails cases 2 and 4 when the reply content or the To/From swap is wrong', async () => {
    receiver = await startReceiver();
    receiver.setHandler((request) => {
      if (request.path === '/wechat/ticket') return 'success';
      const { fields } = openReceivedPush(request);
      // Wrong: To/From not swapped, and the content is echoed back unchanged.
      const content = fields.MsgType === 'event' ? String(fields.Event) : String(fields.Content);
      return sealReply(platformCrypto, buildXml({ ToUserName: fields.ToUserName as string, FromUserName: fields.FromUserName as string, CreateTime: 1, MsgType: 'text', Content: content }));
    });
    emulator = await startEmulatorWith(receiver);
    const report = await run({ cases: [2, 4] });
    expect(report.cases.map((c) => c.passed)).toEqual([false, false]);
    expect(report.cases[0]!.details).toContain('TESTCOMPONENT_MSG_TYPE_TEXT_callback');
    expect(report.cases[0]!.details).toContain('ToUserName');
    expect(report.cases[1]!.details).toContain('LOCATIONfrom_callback');
  });

  it('refuses unknown cases and appids that are not test accounts', async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver);
    expect((await admin(emulator, 'POST', '/__admin/full-network-test', { cases: [5] })).status).toBe(400);
    const appid = emulator.state.seeded[0]!.appid;
    expect((await admin(emulator, 'POST', '/__admin/full-network-test', { appid })).status).toBe(400);
  });
});
