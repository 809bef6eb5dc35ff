/**
 * Times the engine relies on that the queue's settings decide. A pending operator action counts as
 * lost only once its message can no longer be delivered (received maxReceiveCount times, a
 * visibility timeout apart): expiring it earlier would show a running action as dead, and a
 * deployment as settled while its action still runs.
 */
import { describe, expect, it } from 'vitest';
import { DEPLOY_QUEUE, FUNCTIONS } from '../../infra/functions';
import { PENDING_ACTION_EXPIRES_MS } from '../../shared/deployments/deployment';

describe('deploy queue timing', () => {
  it('expires a pending operator action only after its message has dead-lettered', () => {
    const lastDeliveryEndsMs = DEPLOY_QUEUE.maxReceiveCount * DEPLOY_QUEUE.visibilityTimeoutSeconds * 1000;
    expect(PENDING_ACTION_EXPIRES_MS).toBeGreaterThan(lastDeliveryEndsMs);
  });

  it('gives the worker less time than a message stays invisible, so a slow step is not redelivered mid-call', () => {
    expect((FUNCTIONS['deploy-worker'].timeoutSeconds ?? 3) * 1000).toBeLessThan(DEPLOY_QUEUE.visibilityTimeoutSeconds * 1000);
  });
});
