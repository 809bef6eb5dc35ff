/**
 * The safe-mode envelope around WeChat pushes and passive replies (docs/wechat-protocol.md §1).
 * The service opens pushes and seals replies; the emulator does the opposite.
 */
import { randomInt } from 'node:crypto';
import { WeChatCryptoError } from './crypto';
import type { MessageCrypto } from './crypto';
import { buildXml, parseXml, requireString } from './xml';
import type { XmlFields } from './xml';

export type PushQuery = Record<string, string | undefined>;

/** `query` carries signature, timestamp, nonce, encrypt_type=aes and msg_signature. */
export interface SealedPush {
  query: Record<string, string>;
  body: string;
}

export interface SealOptions {
  timestamp?: string;
  nonce?: string;
  random?: Buffer;
}

/** Encrypts `innerXml` into a push body plus the query string WeChat would send with it. */
export function sealPush(
  crypto: MessageCrypto,
  opts: { outer: { AppId: string } | { ToUserName: string }; innerXml: string } & SealOptions,
): SealedPush {
  const timestamp = opts.timestamp ?? currentTimestamp();
  const nonce = opts.nonce ?? randomNonce();
  const encrypted = crypto.encrypt(opts.innerXml, opts.random);
  const outer: Record<string, string> =
    'AppId' in opts.outer ? { AppId: opts.outer.AppId } : { ToUserName: opts.outer.ToUserName };
  return {
    query: {
      signature: crypto.signature(timestamp, nonce),
      timestamp,
      nonce,
      encrypt_type: 'aes',
      msg_signature: crypto.msgSignature(timestamp, nonce, encrypted),
    },
    body: buildXml({ ...outer, Encrypt: encrypted }),
  };
}

/**
 * Authenticates and decrypts a push: size → outer XML → Encrypt → msg_signature → decrypt
 * (appid check) → inner XML. Throws only WeChatCryptoError or XmlError.
 */
export function openPush(
  crypto: MessageCrypto,
  query: PushQuery,
  body: string,
  opts: { maxBytes?: number } = {},
): { outer: XmlFields; fields: XmlFields; xml: string } {
  const outer = parseXml(body, opts);
  const encrypted = requireString(outer, 'Encrypt');
  const { msg_signature: signature, timestamp, nonce } = query;
  if (signature === undefined || timestamp === undefined || nonce === undefined) {
    throw new WeChatCryptoError('invalid_signature', 'msg_signature, timestamp and nonce are required');
  }
  if (!crypto.verifyMsgSignature(signature, timestamp, nonce, encrypted)) {
    throw new WeChatCryptoError('invalid_signature', 'msg_signature does not match');
  }
  const xml = crypto.decrypt(encrypted).message;
  return { outer, fields: parseXml(xml, opts), xml };
}

/** Encrypts a passive reply into WeChat's `<Encrypt>/<MsgSignature>/<TimeStamp>/<Nonce>` form. */
export function sealReply(crypto: MessageCrypto, replyXml: string, opts: SealOptions = {}): string {
  const timestamp = opts.timestamp ?? currentTimestamp();
  const nonce = opts.nonce ?? randomNonce();
  const encrypted = crypto.encrypt(replyXml, opts.random);
  return buildXml({
    Encrypt: encrypted,
    MsgSignature: crypto.msgSignature(timestamp, nonce, encrypted),
    TimeStamp: bareIfCanonicalInteger(timestamp),
    Nonce: nonce,
  });
}

/**
 * Verifies an encrypted passive reply and returns its decrypted XML. The unencrypted literal
 * `success` / empty body is not an encrypted reply and is rejected here (as malformed XML).
 */
export function openReply(crypto: MessageCrypto, body: string): string {
  const reply = parseXml(body);
  const encrypted = requireString(reply, 'Encrypt');
  const signature = reply.MsgSignature;
  const timestamp = reply.TimeStamp;
  const nonce = reply.Nonce;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') {
    throw new WeChatCryptoError('invalid_signature', 'reply lacks MsgSignature, TimeStamp or Nonce');
  }
  if (!crypto.verifyMsgSignature(signature, timestamp, nonce, encrypted)) {
    throw new WeChatCryptoError('invalid_signature', 'reply MsgSignature does not match');
  }
  return crypto.decrypt(encrypted).message;
}

function currentTimestamp(): string {
  return String(Math.floor(Date.now() / 1000));
}

/** WeChat's nonces are short decimal strings. */
function randomNonce(): string {
  return String(randomInt(100_000_000, 2_147_483_647));
}

/** WeChat writes TimeStamp bare; only do so when the number prints back to the same string. */
function bareIfCanonicalInteger(value: string): string | number {
  return /^(0|[1-9][0-9]{0,14})$/.test(value) ? Number(value) : value;
}
