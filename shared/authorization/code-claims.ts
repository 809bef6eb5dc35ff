import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../db/conditional';

/** Long enough to outlive the code (10 min) and every WeChat retry of the `authorized` push. */
const CLAIM_TTL_SECONDS = 24 * 3600;

const claimKey = (code: string) => ({ pk: `AUTHCODE#${code}`, sk: 'CLAIM' });

import type { QueryAuthResponse } from '../wechat/types';

export type Authorization = QueryAuthResponse['authorization_info'];

export type ClaimState =
  /** `appid`: known when the `authorized` push claimed (or took over) the code; the redirect does not carry it. */
  | { state: 'exchanging'; claimedAtMs: number; appid?: string }
  | { state: 'exchanged'; claimedAtMs: number; authorization: Authorization; authorizedAtMs: number }
  /** `again`: the mini-program had been authorized before this code (a re-authorization). */
  | { state: 'done'; appid: string; again?: boolean; doneAtMs?: number }
  | { state: 'failed'; reason: string }
  /**
   * WeChat says the code was used (a holder died after spending it) and the mini-program it was for
   * cannot be named (the redirect carries no appid): the authorization is WeChat's, and the
   * authorizer sync brings it back.
   */
  | { state: 'received' };

/**
 * The same authorization code reaches us twice — the merchant's OAuth redirect and the
 * `authorized` push. A conditional put lets exactly one of them exchange it.
 */
export class CodeClaims {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(code: string, nowMs = Date.now(), appid?: string): Promise<boolean> {
    const nowSeconds = Math.floor(nowMs / 1000);
    return conditionHeld(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...claimKey(code), state: 'exchanging', claimedAtMs: nowMs, expiresAt: nowSeconds + CLAIM_TTL_SECONDS, ...(appid ? { hintAppid: appid } : {}) },
          // DynamoDB TTL deletes lazily (dynalite never does): an expired claim counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
  }

  async get(code: string): Promise<ClaimState | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: claimKey(code), ConsistentRead: true }));
    if (!Item) return undefined;
    if (Item.state === 'done') {
      return { state: 'done', appid: Item.appid, again: Item.again === true, ...(typeof Item.doneAtMs === 'number' ? { doneAtMs: Item.doneAtMs } : {}) };
    }
    if (Item.state === 'failed') return { state: 'failed', reason: Item.reason };
    if (Item.state === 'received') return { state: 'received' };
    if (Item.state === 'exchanged') return { state: 'exchanged', claimedAtMs: Item.claimedAtMs, authorization: Item.authorization, authorizedAtMs: Item.authorizedAtMs };
    return { state: 'exchanging', claimedAtMs: Item.claimedAtMs, ...(typeof Item.hintAppid === 'string' ? { appid: Item.hintAppid } : {}) };
  }

  /**
   * Keeps WeChat's answer before anything else is written: the code is single use, so if this
   * invocation dies now, a later arrival of the same code can still finish from the answer.
   */
  async saveAnswer(code: string, authorization: Authorization, authorizedAtMs: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: claimKey(code),
        UpdateExpression: 'SET #state = :exchanged, #authorization = :authorization, authorizedAtMs = :at',
        ExpressionAttributeNames: { '#state': 'state', '#authorization': 'authorization' },
        ExpressionAttributeValues: { ':exchanged': 'exchanged', ':authorization': authorization, ':at': authorizedAtMs },
      }),
    );
  }

  /**
   * Takes over a claim whose holder went quiet (its invocation died): one conditional write on the
   * claim's start time, so of two late arrivals exactly one wins. `appid`, when this caller knows
   * it (the push), is kept for a recovery. True if this caller won.
   */
  async takeOver(code: string, claimedAtMs: number, nowMs = Date.now(), appid?: string): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: claimKey(code),
          UpdateExpression: appid ? 'SET claimedAtMs = :now, hintAppid = :appid' : 'SET claimedAtMs = :now',
          ConditionExpression: 'claimedAtMs = :old AND #state IN (:exchanging, :exchanged)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':now': nowMs, ':old': claimedAtMs, ':exchanging': 'exchanging', ':exchanged': 'exchanged', ...(appid ? { ':appid': appid } : {}) },
        }),
      ),
    );
  }

  /** The tenant is stored: WeChat's answer, tokens included, now lives only in the token item. */
  async complete(code: string, appid: string, again = false, nowMs = Date.now()): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: claimKey(code),
        UpdateExpression: 'SET #state = :done, appid = :appid, again = :again, doneAtMs = :now REMOVE #authorization, authorizedAtMs, hintAppid',
        ExpressionAttributeNames: { '#state': 'state', '#authorization': 'authorization' },
        ExpressionAttributeValues: { ':done': 'done', ':appid': appid, ':again': again, ':now': nowMs },
      }),
    );
  }

  /** WeChat refused the code itself (used, expired, forged): remember, so a replay gets the same answer. */
  async fail(code: string, reason: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: claimKey(code),
        UpdateExpression: 'SET #state = :failed, reason = :reason REMOVE hintAppid',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':failed': 'failed', ':reason': reason },
      }),
    );
  }

  /** A spent code whose authorization is recovered from WeChat's list, not from this code: a replay says the same. */
  async receive(code: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: claimKey(code),
        UpdateExpression: 'SET #state = :received REMOVE #authorization, authorizedAtMs, hintAppid',
        ExpressionAttributeNames: { '#state': 'state', '#authorization': 'authorization' },
        ExpressionAttributeValues: { ':received': 'received' },
      }),
    );
  }

  /**
   * The exchange did not get WeChat's answer (WeChat unreachable, or gone mid-call): the next arrival
   * may take over at once. The claim is kept, stale, not deleted: WeChat may have spent the
   * single-use code before the answer was lost, and a taker-over that meets 61009 then recovers the
   * authorization from WeChat's authorizer list instead of calling the code invalid.
   */
  async release(code: string): Promise<void> {
    await conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: claimKey(code),
          UpdateExpression: 'SET claimedAtMs = :stale',
          ConditionExpression: '#state = :exchanging',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':stale': 0, ':exchanging': 'exchanging' },
        }),
      ),
    );
  }
}
