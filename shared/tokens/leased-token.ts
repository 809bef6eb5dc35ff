import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { conditionHeld } from '../db/conditional';
import { definedFields, numberField, stringField } from '../db/item-fields';
import { updateExpression } from '../db/update-expression';
import { recordMetric } from '../metrics/record';
import { isWeChatApiError } from '../wechat/errors';

export interface ItemKey {
  pk: string;
  sk: string;
}

/** What a refresh produced: the token, when it expires, and any attributes to store with it. */
export interface RefreshedToken {
  token: string;
  expiresAtMs: number;
  attributes?: Record<string, unknown>;
}

export type StoredItem = Record<string, unknown> & {
  token?: string;
  expiresAtMs?: number;
  refreshedAtMs?: number;
  leaseOwner?: string;
  leaseUntilMs?: number;
};

export interface LeasedTokenOptions {
  db: DynamoDBDocumentClient;
  table: string;
  key: ItemKey;
  /** Which token this is in the refresh metrics. */
  kind: 'component' | 'authorizer';
  /** Errors of `refresh` that are a verdict (e.g. the authorization is gone), not a failed refresh. */
  isRefusal?: (error: unknown) => boolean;
  /** Calls WeChat for a new token; receives the stored item (e.g. to read a refresh token). */
  refresh: (stored: StoredItem | undefined) => Promise<RefreshedToken>;
  /**
   * Persists a refresh whose lease was lost (another instance took over after it expired), when its
   * attributes must not be lost — returns false to drop it. Default: drop.
   */
  onLeaseLost?: (fresh: RefreshedToken, stored: StoredItem | undefined) => Promise<boolean>;
  /** Refresh this long before expiry so no caller ever holds an about-to-expire token. */
  refreshAheadMs?: number;
  leaseMs?: number;
  pollMs?: number;
  now?: () => number;
}

interface TokenState {
  token: string;
  expiresAtMs: number;
  refreshedAtMs?: number;
}

const DEFAULT_REFRESH_AHEAD_MS = 10 * 60_000;
const DEFAULT_LEASE_MS = 20_000;
const DEFAULT_POLL_MS = 50;
/** How many tokens WeChat rejected one container remembers (one per revocation, so a handful). */
const REMEMBERED_REJECTIONS = 16;

/**
 * A token cached in the warm container and in DynamoDB, refreshed by at most one caller at a time
 * across every Lambda instance: the refresher must win a conditional-write lease on the item, the
 * others poll the item and reuse the refresher's result.
 */
export class LeasedToken {
  private cached?: TokenState;
  private readonly owner = randomUUID();
  private inFlight?: Promise<string>;
  /** Tokens WeChat rejected (40001/42001/40014) that this container has seen: never handed out again. */
  private readonly rejected = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: LeasedTokenOptions) {
    this.now = options.now ?? Date.now;
  }

  private get refreshAheadMs() {
    return this.options.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS;
  }

  /**
   * Usable while more than the refresh margin is left (short lifetimes use a quarter of theirs),
   * and not a token WeChat already rejected — wherever it comes from: the cache, a DynamoDB read
   * that raced the drop, or the lease holder's poll.
   */
  private usable(state: Partial<TokenState> | undefined): state is TokenState {
    if (!state?.token || typeof state.expiresAtMs !== 'number') return false;
    if (this.rejected.has(state.token)) return false;
    const lifetime = state.expiresAtMs - (state.refreshedAtMs ?? state.expiresAtMs - 7_200_000);
    const margin = Math.min(this.refreshAheadMs, lifetime / 4);
    return state.expiresAtMs - margin > this.now();
  }

  /** A token valid for at least `refreshAheadMs`; refreshes (once, fleet-wide) when needed. */
  async get(): Promise<string> {
    if (this.usable(this.cached)) return this.cached.token;
    // Callers in this container share one lookup instead of each racing for the lease.
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The token and when it expires (for a backend that calls WeChat with it itself); refreshed as `get()` would. */
  async getWithExpiry(): Promise<{ token: string; expiresAtMs: number }> {
    const token = await this.get();
    if (this.cached?.token === token) return { token, expiresAtMs: this.cached.expiresAtMs };
    const stored = await this.read();
    return { token, expiresAtMs: stored?.token === token && typeof stored.expiresAtMs === 'number' ? stored.expiresAtMs : this.now() };
  }

  /** Refreshes now even if the stored token is still good (another instance's fresh one counts). */
  async refreshNow(): Promise<string> {
    this.cached = undefined;
    const before = (await this.read())?.token;
    return (await this.refreshUnderLease((state) => this.usable(state) && state.token !== before)).token;
  }

  /**
   * For the scheduled refresher: refreshes if the token expires within `withinMs`, so callers on
   * the hot path never have to. Concurrent or repeated runs refresh once.
   */
  async refreshIfExpiring(withinMs: number): Promise<'fresh' | 'refreshed'> {
    const goodEnough = (state: StoredItem | undefined): state is StoredItem & TokenState =>
      this.usable(state) && state.expiresAtMs - this.now() > withinMs;
    if (goodEnough(await this.read())) return 'fresh';
    return (await this.refreshUnderLease(goodEnough)).refreshed ? 'refreshed' : 'fresh';
  }

  /**
   * Drops `token` because WeChat rejected it — only if it is still the stored one, so a token
   * another instance just refreshed is never thrown away. This container also remembers it as
   * rejected, so no lookup here hands it out again, even one that read it before the drop landed.
   */
  async invalidate(token: string): Promise<void> {
    this.rejected.add(token);
    if (this.rejected.size > REMEMBERED_REJECTIONS) this.rejected.delete(this.rejected.values().next().value!);
    if (this.cached?.token === token) this.cached = undefined;
    await conditionHeld(
      this.options.db.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: this.options.key,
          UpdateExpression: 'REMOVE #token, expiresAtMs',
          ConditionExpression: '#token = :bad',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':bad': token },
        }),
      ),
    );
  }

  /**
   * Runs `call` with the token; if WeChat says the token is invalid (40001/42001/40014), drops it
   * (if still stored), gets a token other than the rejected one and retries exactly once.
   */
  async use<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.get();
    try {
      return await call(token);
    } catch (error) {
      if (!isWeChatApiError(error) || error.errorClass !== 'token_invalid') throw error;
      return call(await this.replacement(token));
    }
  }

  /**
   * A token other than `rejected`. The retry must never be handed the token WeChat just refused:
   * under load, the lookup it joins may have read (or accepted) `rejected` from DynamoDB before
   * the drop landed — e.g. started by a caller that found the cache empty the moment this one
   * cleared it — and a retry with it fails again (issue #12). Remembering the rejection makes
   * every later check treat it as unusable, so the shared lookup refreshes under the lease (once,
   * fleet-wide; waiting callers reuse that refresh); a lookup that had already accepted it before
   * the rejection was recorded is settled when it hands it back, so asking once more starts (or
   * joins) one that cannot accept it.
   */
  private async replacement(rejected: string): Promise<string> {
    await this.invalidate(rejected);
    const token = await this.get();
    return token === rejected ? this.get() : token;
  }

  private async fetch(): Promise<string> {
    const stored = await this.read();
    if (this.usable(stored)) return this.remember(stored);
    return (await this.refreshUnderLease((state) => this.usable(state))).token;
  }

  /**
   * Gets a token that is `goodEnough`, refreshing it only while holding the lease; without the
   * lease, waits for the holder's result instead of calling WeChat too.
   */
  private async refreshUnderLease(goodEnough: (state: StoredItem | undefined) => boolean): Promise<{ token: string; refreshed: boolean }> {
    const leaseMs = this.options.leaseMs ?? DEFAULT_LEASE_MS;
    const deadline = this.now() + 3 * leaseMs;
    while (this.now() < deadline) {
      if (await this.acquireLease(leaseMs)) {
        // Re-read under the lease: another instance may have refreshed since we last looked.
        const current = await this.read();
        if (goodEnough(current) && this.usable(current)) {
          await this.releaseLease();
          return { token: this.remember(current), refreshed: false };
        }
        return { token: await this.refreshHoldingLease(current), refreshed: true };
      }
      await sleep(this.options.pollMs ?? DEFAULT_POLL_MS);
      const current = await this.read();
      if (goodEnough(current) && this.usable(current)) return { token: this.remember(current), refreshed: false };
    }
    throw new Error(`timed out waiting for the ${this.options.key.sk} refresh of ${this.options.key.pk}`);
  }

  private async refreshHoldingLease(stored: StoredItem | undefined): Promise<string> {
    let fresh: RefreshedToken;
    try {
      fresh = await this.options.refresh(stored);
    } catch (error) {
      if (!this.options.isRefusal?.(error)) recordMetric('TokenRefreshFailed', { by: this.options.kind });
      await this.releaseLease();
      throw error;
    }
    recordMetric('TokenRefreshed', { by: this.options.kind });
    // WeChat issued it just now: whatever was rejected before, this token is good.
    this.rejected.delete(fresh.token);
    const state: TokenState = { token: fresh.token, expiresAtMs: fresh.expiresAtMs, refreshedAtMs: this.now() };
    const update = updateExpression({ ...fresh.attributes, ...state }, ['leaseOwner', 'leaseUntilMs']);
    const stillOurs = await conditionHeld(
      this.options.db.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: this.options.key,
          ...update,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':owner': this.owner },
        }),
      ),
    );
    // Our lease expired mid-refresh and another instance took over; its result stands unless
    // ours carries something that must not be lost (a rotated refresh token).
    if (!stillOurs) await this.options.onLeaseLost?.(fresh, stored);
    return this.remember(state);
  }

  private async acquireLease(leaseMs: number): Promise<boolean> {
    const now = this.now();
    return conditionHeld(
      this.options.db.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: this.options.key,
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntilMs = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntilMs) OR leaseUntilMs < :now',
          ExpressionAttributeValues: { ':owner': this.owner, ':until': now + leaseMs, ':now': now },
        }),
      ),
    );
  }

  private async releaseLease(): Promise<void> {
    await conditionHeld(
      this.options.db.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: this.options.key,
          UpdateExpression: 'REMOVE leaseOwner, leaseUntilMs',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': this.owner },
        }),
      ),
    );
  }

  private async read(): Promise<StoredItem | undefined> {
    const { Item } = await this.options.db.send(
      new GetCommand({ TableName: this.options.table, Key: this.options.key, ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  private remember(state: TokenState): string {
    this.cached = { token: state.token, expiresAtMs: state.expiresAtMs, refreshedAtMs: state.refreshedAtMs };
    return state.token;
  }
}

/**
 * The stored token item: the lease's own fields checked, the owner's attributes (e.g. a refresh
 * token) passed on as they are, the key left behind.
 */
function fromItem(item: Record<string, unknown>): StoredItem {
  const { pk: _pk, sk: _sk, ...attributes } = item;
  return {
    ...attributes,
    ...definedFields({
      token: stringField(item.token),
      expiresAtMs: numberField(item.expiresAtMs),
      refreshedAtMs: numberField(item.refreshedAtMs),
      leaseOwner: stringField(item.leaseOwner),
      leaseUntilMs: numberField(item.leaseUntilMs),
    }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
