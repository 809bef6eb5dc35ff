import http from 'node:http';
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
  // The senders share this thread with the stack they measure, so they do as little as they can
  // while the clock runs: every push is sealed before the run, and sent with node:http on
  // keep-alive sockets (one per sender), lighter than fetch.
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    for (const c of cases) {
      const seal = (i: number) => {
        const sealed = c.seal(i);
        return { url: `${stack.url}${c.route}?${new URLSearchParams(sealed.query)}`, body: sealed.body };
      };
      const send = async (push: { url: string; body: string }) => {
        const started = performance.now();
        const response = await post(agent, push.url, push.body);
        return { ms: performance.now() - started, ok: response.status === 200 && response.text === 'success' };
      };
      const warm = Array.from({ length: Math.max(200, concurrency) }, (_, i) => seal(1_000_000 + i));
      // As many senders as the run has, so its keep-alive connections are open before the clock runs.
      await forEachConcurrently(warm, concurrency, async (push) => void (await send(push)));
      const pushes = Array.from({ length: requests }, (_, i) => seal(i));
      const latencies: number[] = [];
      let errors = 0;
      await forEachConcurrently(pushes, concurrency, async (push) => {
        const { ms, ok } = await send(push);
        latencies.push(ms);
        if (!ok) errors += 1;
      });
      latencies.sort((a, b) => a - b);
      results.push({ route: c.route.replace(appid, '{appid}'), requests, concurrency, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors });
    }
  } finally {
    agent.destroy();
  }
  return results;
}

function post(agent: http.Agent, url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
