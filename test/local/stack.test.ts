import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamo } from '../../shared/db/client';
import { startTestStack } from '../support/stack';

const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-stack-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('local stack', () => {
  it('serves GET /health from the Lambda handler, reading the embedded DynamoDB', async () => {
    const t = await startTestStack({ dataDir });
    try {
      const response = await t.api('/health');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', service: 'mpfleet', checks: { table: 'ok' } });
    } finally {
      await t.close();
    }
  });

  it('answers unknown routes and wrong methods like API Gateway', async () => {
    const t = await startTestStack({ dataDir });
    try {
      const missing = await t.api('/nope');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ message: 'Not Found' });
      expect((await t.api('/health', { method: 'POST' })).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('keeps DynamoDB state across a restart on the same DATA_DIR', async () => {
    const first = await startTestStack({ dataDir });
    try {
      await dynamo().send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: { pk: 'PERSIST', sk: 'CHECK', value: 42 } }));
    } finally {
      await first.close();
    }
    const second = await startTestStack({ dataDir });
    try {
      const { Item } = await dynamo().send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: 'PERSIST', sk: 'CHECK' } }));
      expect(Item?.value).toBe(42);
      expect((await second.api('/health')).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('restores the environment it changed when closed', async () => {
    const before = process.env.TABLE_NAME;
    const t = await startTestStack({ dataDir });
    expect(process.env.TABLE_NAME).toBe('mpfleet');
    await t.close();
    expect(process.env.TABLE_NAME).toBe(before);
  });
});
