import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionHeld, ifConditionHeld } from '../../../shared/db/conditional';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.close());

/** A fresh item's key, so tests never see each other's writes. */
const freshKey = () => ({ pk: `TEST#${randomUUID()}`, sk: 'ITEM' });

const putIfAbsent = (key: { pk: string; sk: string }, value: string) =>
  dynamo.db.send(new PutCommand({ TableName: dynamo.table, Item: { ...key, value }, ConditionExpression: 'attribute_not_exists(pk)' }));

const read = async (key: { pk: string; sk: string }) =>
  (await dynamo.db.send(new GetCommand({ TableName: dynamo.table, Key: key, ConsistentRead: true }))).Item;

describe('conditionHeld', () => {
  it('is true when the condition held, and the write happened', async () => {
    const key = freshKey();
    expect(await conditionHeld(putIfAbsent(key, 'first'))).toBe(true);
    expect(await read(key)).toMatchObject({ value: 'first' });
  });

  it('is false when the condition failed, and the item is as it was', async () => {
    const key = freshKey();
    await putIfAbsent(key, 'first');
    expect(await conditionHeld(putIfAbsent(key, 'second'))).toBe(false);
    expect(await read(key)).toMatchObject({ value: 'first' });
  });

  it('rethrows any other error', async () => {
    const invalid = dynamo.db.send(
      new UpdateCommand({ TableName: dynamo.table, Key: freshKey(), UpdateExpression: 'SET #v = :v', ExpressionAttributeValues: { ':v': 1 } }),
    );
    await expect(conditionHeld(invalid)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(conditionHeld(Promise.reject(new Error('network down')))).rejects.toThrow('network down');
  });
});

describe('ifConditionHeld', () => {
  it("keeps the write's answer when the condition held", async () => {
    const key = freshKey();
    await putIfAbsent(key, 'first');
    const answer = await ifConditionHeld(
      dynamo.db.send(
        new UpdateCommand({
          TableName: dynamo.table,
          Key: key,
          UpdateExpression: 'SET #value = :next',
          ConditionExpression: '#value = :expected',
          ExpressionAttributeNames: { '#value': 'value' },
          ExpressionAttributeValues: { ':next': 'second', ':expected': 'first' },
          ReturnValues: 'UPDATED_OLD',
        }),
      ),
    );
    expect(answer?.Attributes).toEqual({ value: 'first' });
  });

  it('is undefined when the condition failed', async () => {
    const key = freshKey();
    await putIfAbsent(key, 'first');
    expect(await ifConditionHeld(putIfAbsent(key, 'second'))).toBeUndefined();
  });

  it('rethrows any other error', async () => {
    await expect(ifConditionHeld(Promise.reject(new Error('network down')))).rejects.toThrow('network down');
  });
});
