import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffSeconds, DEFAULT_FORWARD_RETRY, forwardRetryPolicy } from '../../../shared/forwarding/retry-policy';
import { signBody, verifySignature } from '../../../shared/forwarding/signature';

describe('X-Mpfleet-Signature', () => {
  const now = Date.UTC(2026, 10, 30, 12);
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const t = now / 1000;
    expect(signBody('secret', '{"a":1}', now)).toBe(`t=${t},v1=${createHmac('sha256', 'secret').update(`${t}.{"a":1}`).digest('hex')}`);
  });

  it('verifies only the same body, secret and a recent time', () => {
    const header = signBody('secret', 'body', now);
    expect(verifySignature('secret', 'body', header, { nowMs: now + 60_000 })).toBe(true);
    expect(verifySignature('secret', 'body!', header, { nowMs: now })).toBe(false);
    expect(verifySignature('other', 'body', header, { nowMs: now })).toBe(false);
    expect(verifySignature('secret', 'body', header, { nowMs: now + 301_000 })).toBe(false);
    for (const bad of [undefined, '', 't=abc,v1=00', `t=${now / 1000}`, `t=${now / 1000},v1=${'0'.repeat(63)}`]) expect(verifySignature('secret', 'body', bad, { nowMs: now })).toBe(false);
  });
});

describe('forward retry policy', () => {
  it('doubles from the base up to the cap', () => {
    const policy = DEFAULT_FORWARD_RETRY;
    expect([1, 2, 3, 4, 8, 9, 20].map((n) => backoffSeconds(policy, n))).toEqual([5, 10, 20, 40, 640, 900, 900]);
  });

  it('reads overrides from the environment, ignoring nonsense and capping at SQS’s 15 minutes', () => {
    expect(forwardRetryPolicy({ FORWARD_RETRY_BASE_SECONDS: '1', FORWARD_RETRY_MAX_SECONDS: '3600', FORWARD_GIVE_UP_SECONDS: 'soon' })).toMatchObject({
      baseSeconds: 1,
      maxSeconds: 900,
      giveUpSeconds: DEFAULT_FORWARD_RETRY.giveUpSeconds,
    });
  });
});
