import { describe, expect, it } from 'vitest';
import { MessageCrypto, WeChatCryptoError } from '../../../shared/wechat/crypto';
import type { CryptoFailure } from '../../../shared/wechat/crypto';
import { openPush, openReply, sealPush, sealReply } from '../../../shared/wechat/envelope';
import { XmlError, buildXml } from '../../../shared/wechat/xml';
import type { XmlFailure } from '../../../shared/wechat/xml';

// Emulator-style fake credentials (no real secrets).
const COMPONENT = { token: 'fake-token', encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appid: 'wxcomponent000001' };
const crypto = new MessageCrypto(COMPONENT);

const TICKET_XML = buildXml({
  AppId: COMPONENT.appid,
  CreateTime: 1714112445,
  InfoType: 'component_verify_ticket',
  ComponentVerifyTicket: 'ticket@@@中文😀',
});
const EVENT_XML = buildXml({
  ToUserName: 'gh_97417a04a28d',
  FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
  CreateTime: 1714112445,
  MsgType: 'event',
  Event: 'weapp_audit_fail',
  Reason: 'a <b> & c',
  FailTime: 1714112446,
});

function failureOf(action: () => unknown): { type: string; reason: CryptoFailure | XmlFailure } {
  try {
    action();
  } catch (error) {
    if (error instanceof WeChatCryptoError) return { type: 'crypto', reason: error.reason };
    if (error instanceof XmlError) return { type: 'xml', reason: error.reason };
    throw error;
  }
  throw new Error('expected a failure');
}

describe('push envelope', () => {
  it('seals and opens a component push (AppId outer form)', () => {
    const sealed = sealPush(crypto, { outer: { AppId: COMPONENT.appid }, innerXml: TICKET_XML });
    expect(Object.keys(sealed.query).sort()).toEqual(['encrypt_type', 'msg_signature', 'nonce', 'signature', 'timestamp']);
    expect(sealed.query.encrypt_type).toBe('aes');
    expect(crypto.verifySignature(sealed.query.signature ?? '', sealed.query.timestamp ?? '', sealed.query.nonce ?? '')).toBe(true);
    expect(sealed.body).toMatch(/^<xml><AppId><!\[CDATA\[wxcomponent000001\]\]><\/AppId><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><\/xml>$/);

    const opened = openPush(crypto, sealed.query, sealed.body);
    expect(opened.xml).toBe(TICKET_XML);
    expect(opened.outer.AppId).toBe(COMPONENT.appid);
    expect(opened.fields).toEqual({
      AppId: COMPONENT.appid,
      CreateTime: '1714112445',
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: 'ticket@@@中文😀',
    });
  });

  it('seals and opens an authorizer message push (ToUserName outer form)', () => {
    const sealed = sealPush(crypto, { outer: { ToUserName: 'gh_97417a04a28d' }, innerXml: EVENT_XML });
    expect(sealed.body.startsWith('<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt>')).toBe(true);
    const opened = openPush(crypto, sealed.query, sealed.body);
    expect(opened.outer.ToUserName).toBe('gh_97417a04a28d');
    expect(opened.fields.Event).toBe('weapp_audit_fail');
    expect(opened.fields.Reason).toBe('a <b> & c');
  });

  it('is reproducible given timestamp, nonce and random', () => {
    const opts = { outer: { AppId: COMPONENT.appid }, innerXml: TICKET_XML, timestamp: '1714112445', nonce: '415670741', random: Buffer.alloc(16, 7) };
    expect(sealPush(crypto, opts)).toEqual(sealPush(crypto, opts));
    expect(sealPush(crypto, opts).query.timestamp).toBe('1714112445');
  });

  describe('rejects', () => {
    const sealed = sealPush(crypto, { outer: { AppId: COMPONENT.appid }, innerXml: TICKET_XML });
    const encrypted = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(sealed.body)?.[1] ?? '';
    const withEncrypt = (value: string) => sealed.body.replace(encrypted, value);

    it('a wrong, missing or stale msg_signature', () => {
      const bad = (query: Record<string, string | undefined>) => failureOf(() => openPush(crypto, query, sealed.body));
      expect(bad({ ...sealed.query, msg_signature: '0'.repeat(40) })).toEqual({ type: 'crypto', reason: 'invalid_signature' });
      expect(bad({ ...sealed.query, msg_signature: undefined })).toEqual({ type: 'crypto', reason: 'invalid_signature' });
      expect(bad({ ...sealed.query, timestamp: '1' })).toEqual({ type: 'crypto', reason: 'invalid_signature' });
      expect(bad({ ...sealed.query, nonce: undefined })).toEqual({ type: 'crypto', reason: 'invalid_signature' });
      // The plain signature alone does not authenticate the body.
      expect(bad({ signature: sealed.query.signature, timestamp: sealed.query.timestamp, nonce: sealed.query.nonce })).toEqual({
        type: 'crypto',
        reason: 'invalid_signature',
      });
    });

    it('a tampered ciphertext (caught by the signature before decrypting)', () => {
      const tampered = withEncrypt(`${encrypted.slice(0, 10)}${encrypted[10] === 'A' ? 'B' : 'A'}${encrypted.slice(11)}`);
      expect(failureOf(() => openPush(crypto, sealed.query, tampered))).toEqual({ type: 'crypto', reason: 'invalid_signature' });
    });

    it('a push signed with the right token but encrypted for another appid', () => {
      const other = new MessageCrypto({ ...COMPONENT, appid: 'wxsomeoneelse0001' });
      const foreign = sealPush(other, { outer: { AppId: 'wxsomeoneelse0001' }, innerXml: TICKET_XML });
      expect(failureOf(() => openPush(crypto, foreign.query, foreign.body))).toEqual({ type: 'crypto', reason: 'appid_mismatch' });
    });

    it('a push from someone who does not know the token', () => {
      const impostor = new MessageCrypto({ ...COMPONENT, token: 'guessed' });
      const forged = sealPush(impostor, { outer: { AppId: COMPONENT.appid }, innerXml: TICKET_XML });
      expect(failureOf(() => openPush(crypto, forged.query, forged.body))).toEqual({ type: 'crypto', reason: 'invalid_signature' });
    });

    it('a correctly signed but undecryptable Encrypt', () => {
      const truncated = encrypted.slice(0, -4);
      const query = { ...sealed.query, msg_signature: crypto.msgSignature(sealed.query.timestamp ?? '', sealed.query.nonce ?? '', truncated) };
      expect(failureOf(() => openPush(crypto, query, withEncrypt(truncated)))).toEqual({ type: 'crypto', reason: 'invalid_ciphertext' });
    });

    it('a body without Encrypt, malformed, with a DOCTYPE or too large', () => {
      expect(failureOf(() => openPush(crypto, sealed.query, buildXml({ AppId: COMPONENT.appid })))).toEqual({ type: 'xml', reason: 'missing_field' });
      expect(failureOf(() => openPush(crypto, sealed.query, sealed.body.slice(0, -3)))).toEqual({ type: 'xml', reason: 'malformed' });
      expect(failureOf(() => openPush(crypto, sealed.query, `<!DOCTYPE x>${sealed.body}`))).toEqual({ type: 'xml', reason: 'doctype' });
      expect(failureOf(() => openPush(crypto, sealed.query, sealed.body, { maxBytes: 64 }))).toEqual({ type: 'xml', reason: 'too_large' });
      expect(failureOf(() => openPush(crypto, sealed.query, ''))).toEqual({ type: 'xml', reason: 'malformed' });
    });

    it('a valid envelope whose decrypted content is not XML', () => {
      const notXml = sealPush(crypto, { outer: { AppId: COMPONENT.appid }, innerXml: '{"json":true}' });
      expect(failureOf(() => openPush(crypto, notXml.query, notXml.body))).toEqual({ type: 'xml', reason: 'malformed' });
    });
  });
});

describe('reply envelope', () => {
  // The documented reply vector (docs/wechat-protocol.md §1).
  const doc = new MessageCrypto({ token: 'AAAAA', encodingAesKey: 'A'.repeat(43), appid: 'wxba5fad812f8e6fb9' });

  it('seals the documented reply to the exact Encrypt, MsgSignature, TimeStamp and Nonce', () => {
    const body = sealReply(doc, '{"demo_resp":"good luck"}', { timestamp: '1713424427', nonce: '415670741', random: Buffer.from('707722b803182950') });
    expect(body).toBe(
      '<xml><Encrypt><![CDATA[ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==]]></Encrypt>' +
        '<MsgSignature><![CDATA[1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1]]></MsgSignature>' +
        '<TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[415670741]]></Nonce></xml>',
    );
    expect(openReply(doc, body)).toBe('{"demo_resp":"good luck"}');
  });

  it('round-trips a passive text reply', () => {
    const reply = buildXml({ ToUserName: 'o9AgO5Kd5ggOC', FromUserName: 'gh_97417a04a28d', CreateTime: 1714112445, MsgType: 'text', Content: 'TESTCOMPONENT_MSG_TYPE_TEXT_callback' });
    expect(openReply(crypto, sealReply(crypto, reply))).toBe(reply);
  });

  it('keeps an unusual timestamp exact so the signature still verifies', () => {
    expect(openReply(crypto, sealReply(crypto, '<xml/>', { timestamp: '0123' }))).toBe('<xml/>');
  });

  it('rejects tampered or unsigned replies', () => {
    const body = sealReply(crypto, '<xml><a>1</a></xml>', { timestamp: '1713424427', nonce: '1' });
    expect(failureOf(() => openReply(crypto, body.replace('<TimeStamp>1713424427', '<TimeStamp>1713424428')))).toEqual({
      type: 'crypto',
      reason: 'invalid_signature',
    });
    expect(failureOf(() => openReply(crypto, body.replace(/<MsgSignature>.*<\/MsgSignature>/, '')))).toEqual({
      type: 'crypto',
      reason: 'invalid_signature',
    });
    const other = new MessageCrypto({ ...COMPONENT, appid: 'wxsomeoneelse0001' });
    expect(failureOf(() => openReply(crypto, sealReply(other, '<xml/>')))).toEqual({ type: 'crypto', reason: 'appid_mismatch' });
    expect(failureOf(() => openReply(crypto, 'success'))).toEqual({ type: 'xml', reason: 'malformed' });
  });
});
