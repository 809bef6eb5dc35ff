import { createCipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { MessageCrypto, WeChatCryptoError, safeEqual, sortedSha1 } from '../../../shared/wechat/crypto';
import type { CryptoFailure } from '../../../shared/wechat/crypto';

// wechat-crypto is CommonJS without type declarations: an independent implementation to cross-check against.
interface ReferenceCrypto {
  encrypt(text: string): string;
  decrypt(text: string): { message: string; id: string };
  getSignature(timestamp: string, nonce: string, encrypt: string): string;
}
const WXBizMsgCrypt = createRequire(import.meta.url)('wechat-crypto') as new (
  token: string,
  encodingAESKey: string,
  id: string,
) => ReferenceCrypto;

// Official vector from the mini-program message-push documentation (docs/wechat-protocol.md §1).
const DOC = { token: 'AAAAA', encodingAesKey: 'A'.repeat(43), appid: 'wxba5fad812f8e6fb9' };
const DOC_ENCRYPT =
  '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=';
const DOC_MESSAGE =
  '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}';

// WeChat's WXBizMsgCrypt sample vector.
const SAMPLE = { token: 'pamtest', encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appid: 'wxb11529c136998cb6' };

function expectCryptoError(action: () => unknown, reason: CryptoFailure): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WeChatCryptoError);
  expect((caught as WeChatCryptoError).reason).toBe(reason);
}

/** Deterministic PRNG so a failing property case can be reproduced. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '0', ' ', '<', '&', ']]>', '\n', '中', '文', 'é', '😀', '👍🏽', '\u0000'];

function randomMessage(next: () => number, maxChars: number): string {
  const length = Math.floor(next() * maxChars);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return out;
}

describe('official vectors', () => {
  const crypto = new MessageCrypto(DOC);

  it('decrypts the documented push to its random, length, message and appid', () => {
    const { message, appid, random } = crypto.decrypt(DOC_ENCRYPT);
    expect(random.toString('latin1')).toBe('a8eedb185eb2fecf');
    expect(Buffer.byteLength(message, 'utf8')).toBe(167);
    expect(message).toBe(DOC_MESSAGE);
    expect(appid).toBe('wxba5fad812f8e6fb9');
  });

  it('re-encrypts the documented push byte for byte with the same random', () => {
    expect(crypto.encrypt(DOC_MESSAGE, Buffer.from('a8eedb185eb2fecf'))).toBe(DOC_ENCRYPT);
  });

  it('computes and verifies the documented msg_signature and signature', () => {
    expect(crypto.msgSignature('1714112445', '415670741', DOC_ENCRYPT)).toBe('046e02f8204d34f8ba5fa3b1db94908f3df2e9b3');
    expect(crypto.verifyMsgSignature('046e02f8204d34f8ba5fa3b1db94908f3df2e9b3', '1714112445', '415670741', DOC_ENCRYPT)).toBe(true);
    expect(crypto.signature('1714112445', '415670741')).toBe('6c5c811b55cc85e0e1b54100749188c20beb3f5d');
    expect(crypto.verifySignature('6c5c811b55cc85e0e1b54100749188c20beb3f5d', '1714112445', '415670741')).toBe(true);
  });

  it('computes the documented URL-check signature', () => {
    expect(crypto.signature('1714036504', '1514711492')).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
    expect(crypto.verifySignature('f464b24fc39322e44b38aa78f5edd27bd1441696', '1714036504', '1514711492')).toBe(true);
  });

  it('encrypts the documented reply to the exact Encrypt and MsgSignature', () => {
    const encrypted = crypto.encrypt('{"demo_resp":"good luck"}', Buffer.from('707722b803182950'));
    expect(encrypted).toBe('ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==');
    expect(crypto.msgSignature('1713424427', '415670741', encrypted)).toBe('1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1');
  });

  it('encrypts the WXBizMsgCrypt sample (multi-byte message) to the exact base64', () => {
    const sample = new MessageCrypto(SAMPLE);
    const encrypted = sample.encrypt('我是中文abcd123', Buffer.from('aaaabbbbccccdddd'));
    expect(encrypted).toBe('jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==');
    expect(sample.decrypt(encrypted).message).toBe('我是中文abcd123');
  });
});

describe('round trip', () => {
  const crypto = new MessageCrypto(SAMPLE);
  const overhead = 16 + 4 + SAMPLE.appid.length;

  it('round-trips random messages mixing ASCII, Chinese, emoji and XML specials', () => {
    const next = mulberry32(20240501);
    for (let i = 0; i < 500; i++) {
      const message = randomMessage(next, 300);
      expect(crypto.decrypt(crypto.encrypt(message)).message, `case ${i}`).toBe(message);
    }
  });

  it('round-trips every message byte length around multiples of the 32-byte pad block', () => {
    for (let blocks = 1; blocks <= 6; blocks++) {
      for (const delta of [-2, -1, 0, 1, 2]) {
        const bytes = blocks * 32 - overhead + delta;
        if (bytes < 0) continue;
        for (const message of ['x'.repeat(bytes), '中'.repeat(Math.floor(bytes / 3)) + 'y'.repeat(bytes % 3)]) {
          expect(Buffer.byteLength(message)).toBe(bytes);
          const encrypted = crypto.encrypt(message);
          const padded = overhead + bytes + (32 - ((overhead + bytes) % 32));
          expect(Buffer.from(encrypted, 'base64').length).toBe(padded);
          expect(crypto.decrypt(encrypted).message).toBe(message);
        }
      }
    }
  });

  it('round-trips the empty message and uses a fresh random each time', () => {
    const first = crypto.encrypt('');
    expect(crypto.decrypt(first).message).toBe('');
    expect(crypto.encrypt('')).not.toBe(first);
  });

  it('returns the random it was given, for small and large messages alike', () => {
    const random = Buffer.from('0123456789abcdef');
    for (const message of ['hi', '中'.repeat(5000), 'x'.repeat(60_000)]) {
      const decrypted = crypto.decrypt(crypto.encrypt(message, random));
      expect(decrypted.random).toEqual(random);
      expect(decrypted.message).toBe(message);
    }
  });
});

describe('cross-check with the wechat-crypto package', () => {
  const ours = new MessageCrypto(SAMPLE);
  const theirs = new WXBizMsgCrypt(SAMPLE.token, SAMPLE.encodingAesKey, SAMPLE.appid);
  const next = mulberry32(7);
  const messages = [
    '',
    '<xml><a>1</a></xml>',
    '我是中文abcd123',
    '😀'.repeat(40),
    ...Array.from({ length: 100 }, () => randomMessage(next, 200)),
    // Large messages take a different decrypt path (see MessageCrypto.decryptCbc).
    ...[4000, 4100, 20_000, 60_000].map((bytes) => 'x'.repeat(bytes)),
    ...Array.from({ length: 5 }, () => randomMessage(next, 5000)),
  ];

  it('their implementation decrypts what we encrypt', () => {
    for (const message of messages) {
      expect(theirs.decrypt(ours.encrypt(message))).toEqual({ message, id: SAMPLE.appid });
    }
  });

  it('we decrypt what their implementation encrypts', () => {
    for (const message of messages) {
      expect(ours.decrypt(theirs.encrypt(message))).toMatchObject({ message, appid: SAMPLE.appid });
    }
  });

  it('msg_signatures agree', () => {
    for (const message of messages.slice(0, 20)) {
      const encrypted = ours.encrypt(message);
      const timestamp = String(1_700_000_000 + Math.floor(next() * 1e6));
      const nonce = String(Math.floor(next() * 1e10));
      const expected = theirs.getSignature(timestamp, nonce, encrypted);
      expect(ours.msgSignature(timestamp, nonce, encrypted)).toBe(expected);
      expect(ours.verifyMsgSignature(expected, timestamp, nonce, encrypted)).toBe(true);
    }
  });
});

describe('rejections', () => {
  const crypto = new MessageCrypto(DOC);

  it('refuses malformed EncodingAESKeys, and empty token or appid', () => {
    for (const encodingAesKey of ['A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}-`]) {
      expectCryptoError(() => new MessageCrypto({ ...DOC, encodingAesKey }), 'invalid_key');
    }
    expectCryptoError(() => new MessageCrypto({ ...DOC, token: '' }), 'invalid_key');
    expectCryptoError(() => new MessageCrypto({ ...DOC, appid: '' }), 'invalid_key');
  });

  it('rejects a ciphertext for another appid', () => {
    const other = new MessageCrypto({ ...DOC, appid: 'wx0000000000000000' });
    expectCryptoError(() => other.decrypt(DOC_ENCRYPT), 'appid_mismatch');
    // A prefix of the right appid is still a mismatch.
    const longer = new MessageCrypto({ ...DOC, appid: 'wxba5fad812f8e6fb9x' });
    expectCryptoError(() => crypto.decrypt(longer.encrypt('hello')), 'appid_mismatch');
  });

  it('rejects a ciphertext made with another key', () => {
    const otherKey = new MessageCrypto({ ...DOC, encodingAesKey: 'B'.repeat(43) });
    for (let i = 0; i < 20; i++) {
      expect(() => crypto.decrypt(otherKey.encrypt(`message ${i}`))).toThrow(WeChatCryptoError);
    }
  });

  it('rejects a corrupted length field as invalid ciphertext', () => {
    // In CBC, flipping a bit of ciphertext block 1 flips the same bit of plaintext block 2,
    // whose first bytes are the big-endian length.
    const bytes = Buffer.from(DOC_ENCRYPT, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 0x80;
    expectCryptoError(() => crypto.decrypt(bytes.toString('base64')), 'invalid_ciphertext');
  });

  it('never returns a message from a ciphertext with a garbled tail', () => {
    for (let i = 0; i < 64; i++) {
      const bytes = Buffer.from(DOC_ENCRYPT, 'base64');
      const at = bytes.length - 1 - (i % 32);
      bytes[at] = (bytes[at] ?? 0) ^ (1 + i);
      expect(() => crypto.decrypt(bytes.toString('base64'))).toThrow(WeChatCryptoError);
    }
  });

  it('rejects truncated, non-block and non-base64 ciphertexts', () => {
    expectCryptoError(() => crypto.decrypt(DOC_ENCRYPT.slice(0, -4)), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(Buffer.from(DOC_ENCRYPT, 'base64').subarray(0, 16).toString('base64')), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(Buffer.from(DOC_ENCRYPT, 'base64').subarray(32).toString('base64')), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(''), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(`${DOC_ENCRYPT.slice(0, -4)}!!!!`), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(DOC_ENCRYPT.replaceAll('+', '-')), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(` ${DOC_ENCRYPT}`), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(`${DOC_ENCRYPT.slice(0, 8)}=${DOC_ENCRYPT.slice(9)}`), 'invalid_ciphertext');
    expectCryptoError(() => crypto.decrypt(`${DOC_ENCRYPT.slice(0, 8)}\n${DOC_ENCRYPT.slice(9)}`), 'invalid_ciphertext');
  });

  it('rejects a plaintext whose padding bytes disagree', () => {
    // Hand-built plaintext (empty message) whose last byte claims 4 bytes of padding while the
    // bytes before it differ; with the doc key (32 zero bytes) we can encrypt it directly.
    const tail = Buffer.alloc(26, 9);
    tail[24] = 1;
    tail[25] = 4;
    const plain = Buffer.concat([Buffer.alloc(16), Buffer.alloc(4), Buffer.from(DOC.appid), tail]);
    const key = Buffer.alloc(32);
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
    expectCryptoError(() => crypto.decrypt(encrypted), 'invalid_ciphertext');
  });

  it('rejects wrong signatures without throwing', () => {
    const good = crypto.msgSignature('1714112445', '415670741', DOC_ENCRYPT);
    expect(crypto.verifyMsgSignature(good, '1714112446', '415670741', DOC_ENCRYPT)).toBe(false);
    expect(crypto.verifyMsgSignature(good, '1714112445', '415670742', DOC_ENCRYPT)).toBe(false);
    expect(crypto.verifyMsgSignature(good, '1714112445', '415670741', DOC_ENCRYPT.replace('+', '/'))).toBe(false);
    expect(crypto.verifyMsgSignature(good.slice(0, -1), '1714112445', '415670741', DOC_ENCRYPT)).toBe(false);
    expect(crypto.verifyMsgSignature('', '1714112445', '415670741', DOC_ENCRYPT)).toBe(false);
    const otherToken = new MessageCrypto({ ...DOC, token: 'BBBBB' });
    expect(otherToken.verifySignature('6c5c811b55cc85e0e1b54100749188c20beb3f5d', '1714112445', '415670741')).toBe(false);
  });
});

describe('helpers', () => {
  it('sortedSha1 sorts before hashing and does not mutate its input', () => {
    const parts = ['b', 'a', 'c'];
    expect(sortedSha1(parts)).toBe(sortedSha1(['a', 'b', 'c']));
    expect(sortedSha1(parts)).toBe('a9993e364706816aba3e25717850c26c9cd0d89d'); // sha1("abc")
    expect(parts).toEqual(['b', 'a', 'c']);
  });

  it('safeEqual compares exactly and tolerates different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('é', 'e')).toBe(false);
  });
});
