/**
 * WeChat message crypto ("safe mode"), docs/wechat-protocol.md §1.
 *
 * AES-256-CBC, key = base64(EncodingAESKey + "="), iv = key[0..16), PKCS#7 padding with a
 * 32-byte block, plaintext = random(16) ‖ uint32be(byteLength(msg)) ‖ msg ‖ appid.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Decipher } from 'node:crypto';

export interface MessageCryptoOptions {
  token: string;
  encodingAesKey: string;
  appid: string;
}

export type CryptoFailure = 'invalid_key' | 'invalid_signature' | 'invalid_ciphertext' | 'appid_mismatch';

export class WeChatCryptoError extends Error {
  override readonly name = 'WeChatCryptoError';
  readonly reason: CryptoFailure;

  constructor(reason: CryptoFailure, message: string = reason) {
    super(message);
    this.reason = reason;
  }
}

/** sha1 of the lexicographically sorted parts joined without separator, lowercase hex. */
export function sortedSha1(parts: string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

/** Constant-time string comparison; different lengths (or non-strings) are simply unequal. */
export function safeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

const PAD_BLOCK = 32;
const AES_BLOCK = 16;
const SMALL_CIPHERTEXT_BYTES = 4096; // measured crossover of the two decrypt paths
const RANDOM_BYTES = 16;
const HEADER_BYTES = RANDOM_BYTES + 4; // random ‖ uint32be length
const ENCODING_AES_KEY = /^[A-Za-z0-9+/]{43}$/;

export class MessageCrypto {
  readonly appid: string;
  private readonly token: string;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private readonly appidBytes: Buffer;
  private readonly blockDecipher: Decipher;

  constructor(opts: MessageCryptoOptions) {
    const { token, encodingAesKey, appid } = opts;
    if (typeof encodingAesKey !== 'string' || !ENCODING_AES_KEY.test(encodingAesKey)) {
      throw new WeChatCryptoError('invalid_key', 'EncodingAESKey must be 43 base64 characters');
    }
    // An empty token would let anyone compute valid signatures.
    if (typeof token !== 'string' || token === '') {
      throw new WeChatCryptoError('invalid_key', 'token must be a non-empty string');
    }
    if (typeof appid !== 'string' || appid === '') {
      throw new WeChatCryptoError('invalid_key', 'appid must be a non-empty string');
    }
    this.token = token;
    this.appid = appid;
    this.appidBytes = Buffer.from(appid, 'utf8');
    this.key = Buffer.from(`${encodingAesKey}=`, 'base64');
    this.iv = this.key.subarray(0, 16);
    this.blockDecipher = createDecipheriv('aes-256-ecb', this.key, null).setAutoPadding(false);
  }

  /** Encrypts `message` for this appid; `random` (16 bytes) is only for reproducible tests. */
  encrypt(message: string, random: Buffer = randomBytes(RANDOM_BYTES)): string {
    if (random.length !== RANDOM_BYTES) throw new RangeError(`random must be ${RANDOM_BYTES} bytes`);
    const messageBytes = Buffer.byteLength(message, 'utf8');
    const plainLength = HEADER_BYTES + messageBytes + this.appidBytes.length;
    const padding = PAD_BLOCK - (plainLength % PAD_BLOCK);

    const plain = Buffer.allocUnsafe(plainLength + padding);
    random.copy(plain, 0);
    plain.writeUInt32BE(messageBytes, RANDOM_BYTES);
    plain.write(message, HEADER_BYTES, 'utf8');
    this.appidBytes.copy(plain, HEADER_BYTES + messageBytes);
    plain.fill(padding, plainLength);

    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
    return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  }

  /**
   * Decrypts and checks that the trailing appid is ours. Note that CBC is not authenticated:
   * verify the msg_signature first; the appid check only catches gross corruption.
   */
  decrypt(encrypted: string): { message: string; appid: string; random: Buffer } {
    const plain = this.decryptCbc(decodeBase64(encrypted));

    const contentEnd = plain.length - paddingLength(plain);
    if (contentEnd < HEADER_BYTES) throw new WeChatCryptoError('invalid_ciphertext', 'plaintext too short');
    const messageBytes = plain.readUInt32BE(RANDOM_BYTES);
    const messageEnd = HEADER_BYTES + messageBytes;
    if (messageEnd > contentEnd) throw new WeChatCryptoError('invalid_ciphertext', 'length field exceeds plaintext');

    if (!plain.subarray(messageEnd, contentEnd).equals(this.appidBytes)) {
      throw new WeChatCryptoError('appid_mismatch', 'decrypted appid does not match');
    }
    return {
      message: plain.toString('utf8', HEADER_BYTES, messageEnd),
      appid: this.appid,
      random: Buffer.from(plain.subarray(0, RANDOM_BYTES)),
    };
  }

  /**
   * AES-256-CBC decryption. For typical (small) pushes a new CBC decipher's key schedule is
   * most of the cost, so they go through one long-lived ECB decipher plus the CBC XOR done
   * here; ECB without padding keeps no state between whole-block updates, so reuse is safe.
   * Past a few KiB OpenSSL's own CBC is faster than the XOR in JavaScript.
   */
  private decryptCbc(cipherBytes: Buffer): Buffer {
    if (cipherBytes.length > SMALL_CIPHERTEXT_BYTES) {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
      return Buffer.concat([decipher.update(cipherBytes), decipher.final()]);
    }
    const plain = this.blockDecipher.update(cipherBytes);
    if (plain.length !== cipherBytes.length) throw new WeChatCryptoError('invalid_ciphertext', 'partial AES block');
    xorInto(plain, 0, this.iv, 0, AES_BLOCK);
    xorInto(plain, AES_BLOCK, cipherBytes, 0, plain.length - AES_BLOCK);
    return plain;
  }

  msgSignature(timestamp: string, nonce: string, encrypted: string): string {
    return sortedSha1([this.token, timestamp, nonce, encrypted]);
  }

  verifyMsgSignature(signature: string, timestamp: string, nonce: string, encrypted: string): boolean {
    return typeof signature === 'string' && safeEqual(signature.toLowerCase(), this.msgSignature(timestamp, nonce, encrypted));
  }

  /** The plain `signature` over (token, timestamp, nonce): URL check and safe-mode query. */
  signature(timestamp: string, nonce: string): string {
    return sortedSha1([this.token, timestamp, nonce]);
  }

  verifySignature(signature: string, timestamp: string, nonce: string): boolean {
    return typeof signature === 'string' && safeEqual(signature.toLowerCase(), this.signature(timestamp, nonce));
  }
}

/** Strict standard base64 whose decoded length is a whole number of AES blocks. */
function decodeBase64(encrypted: string): Buffer {
  if (typeof encrypted !== 'string' || encrypted.length % 4 !== 0) {
    throw new WeChatCryptoError('invalid_ciphertext', 'ciphertext is not valid base64');
  }
  const bytes = Buffer.from(encrypted, 'base64');
  // Node skips characters outside the alphabet, so a short result means the input had some
  // (cheaper than a regex over the whole string); it also accepts the URL-safe alphabet.
  const padChars = encrypted.endsWith('==') ? 2 : encrypted.endsWith('=') ? 1 : 0;
  if (bytes.length !== (encrypted.length / 4) * 3 - padChars || encrypted.includes('-') || encrypted.includes('_')) {
    throw new WeChatCryptoError('invalid_ciphertext', 'ciphertext is not valid base64');
  }
  if (bytes.length === 0 || bytes.length % AES_BLOCK !== 0) {
    throw new WeChatCryptoError('invalid_ciphertext', 'ciphertext is not a whole number of AES blocks');
  }
  return bytes;
}

/** target[targetStart..+length) ^= source[sourceStart..+length), a word at a time when aligned. */
function xorInto(target: Buffer, targetStart: number, source: Buffer, sourceStart: number, length: number): void {
  const targetOffset = target.byteOffset + targetStart;
  const sourceOffset = source.byteOffset + sourceStart;
  if (targetOffset % 4 === 0 && sourceOffset % 4 === 0 && length % 4 === 0) {
    const targetWords = new Int32Array(target.buffer, targetOffset, length / 4);
    const sourceWords = new Int32Array(source.buffer, sourceOffset, length / 4);
    for (let i = 0; i < targetWords.length; i++) targetWords[i] = (targetWords[i] as number) ^ (sourceWords[i] as number);
    return;
  }
  for (let i = 0; i < length; i++) {
    target[targetStart + i] = (target[targetStart + i] as number) ^ (source[sourceStart + i] as number);
  }
}

/**
 * PKCS#7 with a 32-byte block. Per WeChat's reference code a last byte outside 1..32 means
 * "no padding"; inside that range every padding byte must agree.
 */
function paddingLength(plain: Buffer): number {
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > PAD_BLOCK) return 0;
  for (let i = plain.length - pad; i < plain.length - 1; i++) {
    if (plain[i] !== pad) throw new WeChatCryptoError('invalid_ciphertext', 'inconsistent padding');
  }
  return pad;
}
