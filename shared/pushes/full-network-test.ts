import type { Services } from '../services';
import { buildXml, type XmlFields } from '../wechat/xml';

/**
 * The accounts WeChat's full-network release check (全网发布接入检测) sends its test cases from
 * (docs/wechat-protocol.md §6): official accounts, then mini-programs.
 */
export const FULL_NETWORK_TEST_APPIDS: ReadonlySet<string> = new Set([
  'wx570bc396a51b8ff8',
  'wx9252c5e0bb1836fc',
  'wx8e1097c5bc82cde9',
  'wx14550af28c71a144',
  'wxa35b9c23cfe664eb',
  'wxd101a85aa106f53e',
  'wxc39235c15087f6f3',
  'wx7720d01d4b2a4500',
  'wx05d483572dcd5d8b',
  'wx5910277cae6fd970',
]);

const TEXT_CASE = 'TESTCOMPONENT_MSG_TYPE_TEXT';
const QUERY_AUTH_PREFIX = 'QUERY_AUTH_CODE:';

/** A reply to send back: plain XML to encrypt, or nothing (an empty 200). */
export type TestCaseReply = { xml: string } | { empty: true };

/**
 * Answers one full-network test case exactly as WeChat's checker expects: text echo with a
 * suffix, the QUERY_AUTH_CODE round trip through api_query_auth and custom/send, and events.
 */
export async function answerFullNetworkTest(services: Services, fields: XmlFields, nowMs = Date.now()): Promise<TestCaseReply> {
  const msgType = String(fields.MsgType ?? '');
  const content = String(fields.Content ?? '');
  if (msgType === 'text' && content.startsWith(QUERY_AUTH_PREFIX)) {
    const code = content.slice(QUERY_AUTH_PREFIX.length);
    // The checker waits for the API message after our (empty) reply; doing it before replying
    // keeps it inside this invocation and still well within WeChat's 5 seconds.
    const { authorization_info: auth } = await services.wechat.component.queryAuth(code);
    await services.authorizerApi.sendCustomMessage(auth.authorizer_access_token, {
      touser: String(fields.FromUserName),
      msgtype: 'text',
      text: { content: `${code}_from_api` },
    });
    return { empty: true };
  }
  if (msgType === 'text' && content === TEXT_CASE) return textReply(fields, `${TEXT_CASE}_callback`, nowMs);
  if (msgType === 'event') return textReply(fields, `${String(fields.Event ?? '')}from_callback`, nowMs);
  return { empty: true };
}

function textReply(fields: XmlFields, content: string, nowMs: number): TestCaseReply {
  return {
    xml: buildXml({
      ToUserName: String(fields.FromUserName ?? ''),
      FromUserName: String(fields.ToUserName ?? ''),
      CreateTime: Math.floor(nowMs / 1000),
      MsgType: 'text',
      Content: content,
    }),
  };
}
