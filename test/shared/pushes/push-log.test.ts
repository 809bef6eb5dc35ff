import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidPageTokenError, encodePageToken } from '../../../shared/db/page-token';
import { PushLog, pushRetentionDays, withoutSecrets } from '../../../shared/pushes/push-log';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo?.close());

const A = 'wx00000000000000a1';
const B = 'wx00000000000000b2';

describe('withoutSecrets', () => {
  it('redacts every secret-named field at any depth, drops Encrypt, and hides a code inside a text', () => {
    expect(
      withoutSecrets({
        AppId: 'wxcomponent',
        AuthorizationCode: 'queryauthcode@@@x',
        AuthorizationCodeExpiredTime: '1700000600',
        PreAuthCode: 'preauthcode@@@y',
        ComponentVerifyTicket: 'ticket@@@z',
        auth_code: 'fastregister-code',
        Encrypt: 'base64…',
        status: '0',
        info: { wxuser: 'someone', component_phone: '123', access_token: 'tok', appSecret: 's', api_key: 'k' },
        Content: 'QUERY_AUTH_CODE:queryauthcode@@@live',
      }),
    ).toEqual({
      AppId: 'wxcomponent',
      AuthorizationCode: '[redacted]',
      AuthorizationCodeExpiredTime: '[redacted]',
      PreAuthCode: '[redacted]',
      ComponentVerifyTicket: '[redacted]',
      auth_code: '[redacted]',
      status: '0',
      info: { wxuser: 'someone', component_phone: '123', access_token: '[redacted]', appSecret: '[redacted]', api_key: '[redacted]' },
      Content: 'QUERY_AUTH_CODE:[redacted]',
    });
  });
});

describe('pushRetentionDays', () => {
  it('reads PUSH_RETENTION_DAYS, and falls back to 30 days when it is unset or not a whole number of days', () => {
    expect(pushRetentionDays({})).toBe(30);
    expect(pushRetentionDays({ PUSH_RETENTION_DAYS: '7' })).toBe(7);
    for (const bad of ['0', '-3', '1.5', 'week', '']) expect(pushRetentionDays({ PUSH_RETENTION_DAYS: bad }), bad).toBe(30);
  });
});

describe('PushLog', () => {
  const t0 = 1_900_000_000_000;
  const push = (type: string, appid: string | undefined, second: number, extra: Record<string, string> = {}) => ({
    source: 'component' as const,
    type,
    ...(appid ? { appid } : {}),
    createdAtMs: t0 + second * 1000,
    receivedAtMs: t0 + second * 1000 + 40,
    fields: { InfoType: type, CreateTime: String(t0 / 1000 + second), ...(appid ? { AuthorizerAppid: appid } : {}), ...extra },
  });

  it('records a push once however often it is delivered, and keeps it for the retention period', async () => {
    const log = new PushLog(dynamo.db, dynamo.table, 7);
    const first = push('notify_3rd_wxa_auth', A, 1, { taskid: 't-1' });
    const recorded = await log.record(first);
    expect(recorded.first).toBe(true);
    expect(await log.record({ ...first, receivedAtMs: first.receivedAtMs + 5000 })).toEqual({ id: recorded.id, first: false });
    // A different push at the same second for the same appid is another record.
    const other = await log.record(push('notify_3rd_wxa_auth', A, 1, { taskid: 't-2' }));
    expect(other.first).toBe(true);
    expect(other.id).not.toBe(recorded.id);

    const { pushes } = await log.list({ appid: A }, t0 + 2000);
    expect(pushes.map((p) => p.fields.taskid)).toEqual(expect.arrayContaining(['t-1', 't-2']));
    expect(pushes).toHaveLength(2);
    expect(pushes.find((p) => p.fields.taskid === 't-1')).toEqual({ ...first });

    const { Items } = await dynamo.db.send(new ScanCommand({ TableName: dynamo.table }));
    const stored = (Items ?? []).filter((item) => item.fields?.taskid === 't-1');
    expect(stored).toHaveLength(2); // the fleet-wide list and the appid/type item
    for (const item of stored) expect(item.expiresAt).toBe(Math.floor(first.receivedAtMs / 1000) + 7 * 86_400);

    // Past the retention period it is no longer listed (DynamoDB's TTL deletes it later).
    expect((await log.list({ appid: A }, first.receivedAtMs + 7 * 86_400_000 + 1000)).pushes).toEqual([]);
  });

  it('leaves being first to the retry of a delivery that died between its two writes, and still lists the push once', async () => {
    const C = 'wx00000000000000c3';
    let writes = 0;
    // The delivery's process dies after the fleet-wide item is written, before the appid's.
    const dying = { send: (command: Parameters<typeof dynamo.db.send>[0]) => (++writes === 2 ? Promise.reject(new Error('killed')) : dynamo.db.send(command)) } as typeof dynamo.db;
    const died = push('notify_3rd_wxa_auth', C, 3, { taskid: 't-died' });
    await expect(new PushLog(dying, dynamo.table).record(died)).rejects.toThrow('killed');

    const log = new PushLog(dynamo.db, dynamo.table);
    const retry = await log.record(died);
    expect(retry.first).toBe(true);
    expect(await log.record(died)).toEqual({ id: retry.id, first: false });
    expect((await log.list({ appid: C }, t0 + 4000)).pushes.map((p) => p.fields.taskid)).toEqual(['t-died']);
    expect((await log.list({}, t0 + 4000)).pushes.filter((p) => p.fields.taskid === 't-died')).toHaveLength(1);
  });

  it('lists newest first: all, by appid, by type, by both, page by page', async () => {
    const log = new PushLog(dynamo.db, dynamo.table);
    await log.record(push('notify_apply_icpfiling_result', A, 10));
    await log.record(push('notify_apply_icpfiling_result', B, 11));
    await log.record(push('notify_3rd_wxa_wxverify', B, 12));
    await log.record(push('notify_platform_event', undefined, 13));
    const now = t0 + 60_000;

    const all = await log.list({}, now);
    expect(all.pushes.map((p) => p.createdAtMs)).toEqual([...all.pushes.map((p) => p.createdAtMs)].sort((x, y) => y - x));
    expect(all.pushes[0]).toMatchObject({ type: 'notify_platform_event', createdAtMs: t0 + 13_000 });
    expect(all.pushes[0]).not.toHaveProperty('appid');

    expect((await log.list({ appid: B }, now)).pushes.map((p) => p.type)).toEqual(['notify_3rd_wxa_wxverify', 'notify_apply_icpfiling_result']);
    expect((await log.list({ type: 'notify_apply_icpfiling_result' }, now)).pushes.map((p) => p.appid)).toEqual([B, A]);
    expect((await log.list({ appid: B, type: 'notify_apply_icpfiling_result' }, now)).pushes.map((p) => p.createdAtMs)).toEqual([t0 + 11_000]);

    // One at a time through the type's list.
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await log.list({ type: 'notify_apply_icpfiling_result', limit: 1, nextToken }, now);
      seen.push(...page.pushes.map((p) => p.appid!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toEqual([B, A]);
  });

  it('refuses a nextToken it did not issue for that list', async () => {
    const log = new PushLog(dynamo.db, dynamo.table);
    const page = await log.list({ appid: A, limit: 1 }, t0);
    expect(page.nextToken).toBeDefined();
    await expect(log.list({ appid: B, nextToken: page.nextToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
    await expect(log.list({ type: 'x', nextToken: page.nextToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
    await expect(log.list({ nextToken: encodePageToken({ pk: 'TENANT#wx1', sk: 'PROFILE' }) })).rejects.toBeInstanceOf(InvalidPageTokenError);
    await expect(log.list({ nextToken: 'not-a-token' })).rejects.toBeInstanceOf(InvalidPageTokenError);
  });
});
