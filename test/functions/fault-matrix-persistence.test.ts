/**
 * The fault matrix, part 4: the local DynamoDB restarted between steps. What mpfleet knows lives
 * in the table, so a restart must lose none of it. (The emulator restarts too and starts empty —
 * WeChat's side is not ours to persist — so this checks what persists, not a deploy across it.)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynamo } from '../../local/runtime/dynamodb';
import { services } from '../../shared/services';
import { runCli } from '../cli/run-cli';
import { deploy, settle, startMatrixStack, view, type DeploymentView } from '../support/fault-matrix';
import { startTestStack, type TestStack } from '../support/stack';

const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-fault-matrix-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const byKey = (items: Record<string, unknown>[]) => [...items].sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));

/** Every item, read straight from a dynalite started alone on the data files. */
async function itemsOnDisk(): Promise<Record<string, unknown>[]> {
  const db = await startDynamo({ dataDir: path.join(dataDir, 'dynamodb'), tableName: 'mpfleet', region: 'us-east-1' });
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  try {
    const { Items } = await client.send(new ScanCommand({ TableName: 'mpfleet', ConsistentRead: true }));
    return byKey(Items ?? []);
  } finally {
    client.destroy();
    await db.close();
  }
}

const tenantsOf = async (t: TestStack) => ((await (await t.operator('/api/tenants')).json()) as { tenants: unknown[] }).tenants;

describe('fault matrix: local DynamoDB restarted between steps', () => {
  it('keeps tenants, tokens, the ticket and an approved deployment; the restarted stack takes an operator action', { timeout: 60_000 }, async () => {
    // Run 1: two tenants, a manual-release deployment stopped at approved.
    const first = await startMatrixStack(2, { dataDir });
    let id: string;
    let approved: DeploymentView;
    let tenants: unknown[];
    let items: Record<string, unknown>[];
    try {
      id = await deploy(first.t, { userVersion: '6.0.0', tenants: first.appids, release: 'manual' });
      approved = await settle(first.t, id, (v) => v.status === 'completed');
      expect(approved.counts).toEqual({ approved: 2 });
      tenants = await tenantsOf(first.t);
      items = await first.t.snapshot();
    } finally {
      await first.t.close();
    }
    // The table holds what a restart must not lose: both tenants' refresh tokens and the ticket.
    const tokenItems = items.filter((item) => item.sk === 'AUTHORIZER_TOKEN');
    expect(tokenItems.map((item) => item.refreshToken)).toEqual([expect.any(String), expect.any(String)]);
    expect(items.find((item) => item.pk === 'PLATFORM' && item.sk === 'VERIFY_TICKET')).toMatchObject({ ticket: expect.any(String) });

    // DynamoDB alone, restarted on the same files: every item exactly as it was.
    expect(await itemsOnDisk()).toEqual(items);

    // Run 2: the whole stack on the same data directory.
    const second = await startTestStack({ dataDir, emulator: { miniPrograms: 2 } });
    try {
      expect(await tenantsOf(second)).toEqual(tenants);
      expect(await view(second, id)).toEqual(approved);
      // The ticket is the one from run 1 or a newer one the new emulator pushed since: never lost.
      const ticket = items.find((item) => item.sk === 'VERIFY_TICKET')!;
      expect((await services().tickets.latest())?.createTime).toBeGreaterThanOrEqual(ticket.createTime as number);

      // The operator's tool works against the restarted stack.
      const env = { MPFLEET_URL: second.stack.url, MPFLEET_TOKEN: second.stack.operatorToken };
      const status = await runCli(['status', id, '--json'], { env });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ id, counts: { approved: 2 } });
      const release = await runCli(['release', id], { env });
      expect(release.code, release.stderr).toBe(0);
      expect(release.stdout).toContain(`release requested for ${id}`);
    } finally {
      await second.close();
    }
  });
});
