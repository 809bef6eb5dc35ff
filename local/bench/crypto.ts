import { createRequire } from 'node:module';
import { MessageCrypto } from '../../shared/wechat/crypto';
import { buildXml } from '../../shared/wechat/xml';

const require = createRequire(import.meta.url);
const WXBizMsgCrypt = require('wechat-crypto') as new (token: string, key: string, appid: string) => {
  getSignature(timestamp: string, nonce: string, encrypt: string): string;
  decrypt(encrypt: string): { message: string; id: string };
};

export interface CryptoResult {
  oursOpsPerSec: number;
  theirsOpsPerSec: number;
  ratio: number;
}

/** decrypt + verify of the same typical pushes, ours vs the wechat-crypto package, same run. */
export function benchCrypto(iterations = 10_000): CryptoResult {
  const options = { token: 'benchToken', encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appid: 'wx0e3a1f5c7b9d2468' };
  const ours = new MessageCrypto(options);
  const theirs = new WXBizMsgCrypt(options.token, options.encodingAesKey, options.appid);
  const inputs = Array.from({ length: 64 }, (_, i) => {
    const xml = buildXml({ AppId: options.appid, CreateTime: 1_700_000_000 + i, InfoType: 'component_verify_ticket', ComponentVerifyTicket: `ticket@@@${'x'.repeat(40 + i)}` });
    const encrypt = ours.encrypt(xml);
    return { encrypt, timestamp: String(1_700_000_000 + i), nonce: String(1000 + i), signature: ours.msgSignature(String(1_700_000_000 + i), String(1000 + i), encrypt) };
  });
  const time = (fn: (input: (typeof inputs)[number]) => void) => {
    for (let i = 0; i < 2000; i++) fn(inputs[i % inputs.length]!); // warm up
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(inputs[i % inputs.length]!);
    return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  const oursRun = (input: (typeof inputs)[number]) => {
    if (!ours.verifyMsgSignature(input.signature, input.timestamp, input.nonce, input.encrypt)) throw new Error('ours: bad signature');
    ours.decrypt(input.encrypt);
  };
  const theirsRun = (input: (typeof inputs)[number]) => {
    if (theirs.getSignature(input.timestamp, input.nonce, input.encrypt) !== input.signature) throw new Error('theirs: bad signature');
    theirs.decrypt(input.encrypt);
  };
  // Alternating rounds, median of each: one slow moment (GC, the other core busy) cannot decide it.
  const oursRounds: number[] = [];
  const theirsRounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    oursRounds.push(time(oursRun));
    theirsRounds.push(time(theirsRun));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const oursOps = median(oursRounds);
  const theirsOps = median(theirsRounds);
  return { oursOpsPerSec: Math.round(oursOps), theirsOpsPerSec: Math.round(theirsOps), ratio: oursOps / theirsOps };
}
