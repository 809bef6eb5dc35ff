import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../db/conditional';
import { bindToken, type Bound } from '../wechat/bound-clients';
import type { ComponentApi } from '../wechat/component-api';
import { MAX_AUTHORIZER_PAGE } from '../wechat/component-api';
import { ERRCODE } from '../wechat/errcodes';
import { isWeChatApiError } from '../wechat/errors';
import { TenantUnusableError } from './errors';
import { LeasedToken, type RefreshedToken, type StoredItem } from './leased-token';

const tokenKey = (appid: string) => ({ pk: `TENANT#${appid}`, sk: 'AUTHORIZER_TOKEN' });

export interface AuthorizerTokenDeps {
  db: DynamoDBDocumentClient;
  table: string;
  api: ComponentApi;
  componentToken: LeasedToken;
  /** Called when the refresh token is gone for good: the tenant must authorize again. */
  onNeedsReauth: (appid: string, reason: string) => Promise<void>;
  now?: () => number;
}

export interface AuthorizationTokens {
  accessToken: string;
  expiresInSeconds: number;
  refreshToken: string;
}

/**
 * Every tenant's authorizer_access_token and its refresh token. The refresh token is the one thing
 * that cannot be re-obtained without the merchant: it is written together with each new access
 * token, a rotated one is never replaced by the one it rotated out, and 61023 first tries to
 * refill it from api_get_authorizer_list before giving up on the tenant.
 */
export class AuthorizerTokens {
  private readonly tokens = new Map<string, LeasedToken>();
  private readonly now: () => number;
  /** The component APIs this service calls, with the component token. */
  private readonly component: Bound<ComponentApi, 'authorizerToken' | 'getAuthorizerList'>;

  constructor(private readonly deps: AuthorizerTokenDeps) {
    this.now = deps.now ?? Date.now;
    this.component = bindToken(deps.api, deps.componentToken);
  }

  /** The leased token of one tenant: `get()`, `use(call)`, `invalidate(bad)`. */
  forTenant(appid: string): LeasedToken {
    let token = this.tokens.get(appid);
    if (!token) {
      token = new LeasedToken({
        db: this.deps.db,
        table: this.deps.table,
        key: tokenKey(appid),
        kind: 'authorizer',
        // A tenant whose authorization is gone is counted where its status changes, not as a failure.
        isRefusal: (error) => error instanceof TenantUnusableError,
        now: this.now,
        refresh: (stored) => this.refresh(appid, stored),
        onLeaseLost: (fresh, stored) => this.keepRotatedRefreshToken(appid, fresh, stored),
      });
      this.tokens.set(appid, token);
    }
    return token;
  }

  /** Stores the tokens of a fresh authorization (api_query_auth); a later authorization wins. */
  async storeAuthorization(appid: string, tokens: AuthorizationTokens, authorizedAtMs: number): Promise<void> {
    const now = this.now();
    await conditionHeld(
      this.deps.db.send(
        new UpdateCommand({
          TableName: this.deps.table,
          Key: tokenKey(appid),
          UpdateExpression:
            'SET #token = :token, expiresAtMs = :expires, refreshedAtMs = :now, refreshToken = :refresh, authorizedAtMs = :at REMOVE revoked, leaseOwner, leaseUntilMs',
          // A later authorization wins, and so does a revocation that happened after this one (a tie
          // goes to the authorization, as on the tenant).
          ConditionExpression:
            '(attribute_not_exists(authorizedAtMs) OR authorizedAtMs <= :at) AND (attribute_not_exists(revokedAtMs) OR revokedAtMs <= :at)',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: {
            ':token': tokens.accessToken,
            ':expires': now + tokens.expiresInSeconds * 1000,
            ':now': now,
            ':refresh': tokens.refreshToken,
            ':at': authorizedAtMs,
          },
        }),
      ),
    );
    this.tokens.delete(appid);
  }

  /**
   * Stores a refresh token WeChat's authorizer list holds for an authorization made at
   * `authorizedAtMs` that mpfleet lost (the authorizer sync). Only when no newer authorization and
   * no later revocation is recorded, so it never replaces a newer refresh token; the access token is
   * dropped and obtained from it on first use. True if stored.
   */
  async storeRecoveredRefreshToken(appid: string, refreshToken: string, authorizedAtMs: number): Promise<boolean> {
    const stored = await conditionHeld(
      this.deps.db.send(
        new UpdateCommand({
          TableName: this.deps.table,
          Key: tokenKey(appid),
          UpdateExpression: 'SET refreshToken = :refresh, authorizedAtMs = :at REMOVE #token, expiresAtMs, revoked, leaseOwner, leaseUntilMs',
          ConditionExpression:
            '(attribute_not_exists(authorizedAtMs) OR authorizedAtMs < :at) AND (attribute_not_exists(revokedAtMs) OR revokedAtMs <= :at)',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':refresh': refreshToken, ':at': authorizedAtMs },
        }),
      ),
    );
    if (stored) this.tokens.delete(appid);
    return stored;
  }

  /**
   * Stops using a tenant's tokens after it revoked the authorization at `eventAtMs` (the refresh
   * token is kept, but never used again unless a newer authorization replaces it).
   */
  async markRevoked(appid: string, eventAtMs: number): Promise<void> {
    await conditionHeld(
      this.deps.db.send(
        new UpdateCommand({
          TableName: this.deps.table,
          Key: tokenKey(appid),
          UpdateExpression: 'SET revoked = :true, revokedAtMs = :event REMOVE #token, expiresAtMs',
          // Strictly after the authorization: a tie goes to the authorization (see storeAuthorization).
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(authorizedAtMs) OR authorizedAtMs < :event)',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':true': true, ':event': eventAtMs },
        }),
      ),
    );
    this.tokens.delete(appid);
  }

  /** For the scheduled refresher: when this tenant's access token expires, if it has one. */
  async expiry(appid: string): Promise<number | undefined> {
    const { Item } = await this.deps.db.send(new GetCommand({ TableName: this.deps.table, Key: tokenKey(appid) }));
    return typeof Item?.expiresAtMs === 'number' ? Item.expiresAtMs : undefined;
  }

  private async refresh(appid: string, stored: StoredItem | undefined): Promise<RefreshedToken> {
    if (stored?.revoked) throw new TenantUnusableError(appid, 'revoked');
    const refreshToken = stored?.refreshToken;
    if (typeof refreshToken !== 'string' || !refreshToken) throw new TenantUnusableError(appid, 'not_authorized');
    try {
      return await this.exchange(appid, refreshToken);
    } catch (error) {
      if (!isWeChatApiError(error) || error.code !== ERRCODE.REFRESH_TOKEN_INVALID) throw error;
      const refilled = await this.refillRefreshToken(appid, refreshToken);
      if (refilled) return this.exchange(appid, refilled);
      await this.deps.onNeedsReauth(appid, `refresh token rejected (${error.code}) and not found in api_get_authorizer_list`);
      throw new TenantUnusableError(appid, 'needs_reauth');
    }
  }

  private async exchange(appid: string, refreshToken: string): Promise<RefreshedToken> {
    const answer = await this.component.authorizerToken(appid, refreshToken);
    return {
      token: answer.authorizer_access_token,
      expiresAtMs: this.now() + answer.expires_in * 1000,
      // Written in the same conditional update as the access token: never lost, never stale.
      attributes: { refreshToken: answer.authorizer_refresh_token || refreshToken },
    };
  }

  /** WeChat lists every authorizer with its current refresh token: the one lifeline after 61023. */
  private async refillRefreshToken(appid: string, rejected: string): Promise<string | undefined> {
    for (let offset = 0; ; offset += MAX_AUTHORIZER_PAGE) {
      const page = await this.component.getAuthorizerList(offset, MAX_AUTHORIZER_PAGE);
      const found = page.list.find((entry) => entry.authorizer_appid === appid);
      if (found) {
        if (!found.refresh_token || found.refresh_token === rejected) return undefined;
        // If the condition fails, a concurrent refresh already stored a newer one; WeChat's list
        // is current either way.
        await conditionHeld(
          this.deps.db.send(
            new UpdateCommand({
              TableName: this.deps.table,
              Key: tokenKey(appid),
              UpdateExpression: 'SET refreshToken = :fresh',
              ConditionExpression: 'refreshToken = :rejected',
              ExpressionAttributeValues: { ':fresh': found.refresh_token, ':rejected': rejected },
            }),
          ),
        );
        return found.refresh_token;
      }
      if (page.list.length === 0 || offset + page.list.length >= page.total_count) return undefined;
    }
  }

  /** A refresh whose lease expired keeps its rotated refresh token unless someone rotated since. */
  private async keepRotatedRefreshToken(appid: string, fresh: RefreshedToken, stored: StoredItem | undefined): Promise<boolean> {
    const rotated = fresh.attributes?.refreshToken;
    if (typeof rotated !== 'string' || rotated === stored?.refreshToken) return false;
    return conditionHeld(
      this.deps.db.send(
        new UpdateCommand({
          TableName: this.deps.table,
          Key: tokenKey(appid),
          UpdateExpression: 'SET refreshToken = :rotated',
          ConditionExpression: 'refreshToken = :used',
          ExpressionAttributeValues: { ':rotated': rotated, ':used': stored?.refreshToken },
        }),
      ),
    );
  }
}
