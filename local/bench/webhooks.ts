import { forEachConcurrently } from '../../shared/concurrency';
import { MessageCrypto } from '../../shared/wechat/crypto';
import { sealPush } from '../../shared/wechat/envelope';
import { buildXml } from '../../shared/wechat/xml';
import type { LocalStack } from '../stack';

export interface WebhookResult {
  route: string;
  requests: number;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Latency of signed, encrypted pushes under many concurrent senders, after a warm-up. */
export async function benchWebhooks(stack: LocalStack, appid: string, options: { requests?: number; concurrency?: number } = {}): Promise<WebhookResult[]> {
  const requests = options.requests ?? 2000;
  const concurrency = options.concurrency ?? 200;
  const platform = stack.emulator!.platform;
  const crypto = new MessageCrypto({ token: platform.token, encodingAesKey: platform.encodingAesKey, appid: platform.componentAppid });
  const base = Math.floor(Date.now() / 1000);
  const cases = [
    {
      route: '/wechat/ticket',
      seal: (i: number) =>
        sealPush(crypto, {
          outer: { AppId: platform.componentAppid },
          // Older CreateTimes than the live ticket: each is verified, decrypted and refused as stale.
          innerXml: buildXml({ AppId: platform.componentAppid, CreateTime: base - 100_000 + i, InfoType: 'component_verify_ticket', ComponentVerifyTicket: `ticket@@@bench${i}` }),
        }),
    },
    {
      route: `/wechat/callback/${appid}`,
      seal: (i: number) =>
        sealPush(crypto, {
          outer: { ToUserName: 'gh_bench' },
          innerXml: buildXml({ ToUserName: 'gh_bench', FromUserName: `o-bench-${i}`, CreateTime: base, MsgType: 'event', Event: 'user_enter_tempsession' }),
        }),
    },
  ];
  const results: WebhookResult[] = [];
  for (const c of cases) {
    const send = async (i: number) => {
      const sealed = c.seal(i);
      const started = performance.now();
      const response = await fetch(`${stack.url}${c.route}?${new URLSearchParams(sealed.query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: sealed.body });
      const text = await response.text();
      return { ms: performance.now() - started, ok: response.status === 200 && text === 'success' };
    };
    await forEachConcurrently(Array.from({ length: 200 }, (_, i) => 1_000_000 + i), 20, async (i) => void (await send(i))); // warm
    const latencies: number[] = [];
    let errors = 0;
    await forEachConcurrently(Array.from({ length: requests }, (_, i) => i), concurrency, async (i) => {
      const { ms, ok } = await send(i);
      latencies.push(ms);
      if (!ok) errors += 1;
    });
    latencies.sort((a, b) => a - b);
    results.push({ route: c.route.replace(appid, '{appid}'), requests, concurrency, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors });
  }
  return results;
}
