import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from './db/client';

export interface HealthReport {
  status: 'ok' | 'degraded';
  service: 'mpfleet';
  checks: { table: 'ok' | 'unreachable' };
}

/** Health is "can we reach our state": a strongly consistent read of a key that never exists. */
export async function checkHealth(): Promise<HealthReport> {
  let table: HealthReport['checks']['table'] = 'ok';
  try {
    await dynamo().send(new GetCommand({ TableName: tableName(), Key: { pk: 'HEALTH', sk: 'HEALTH' }, ConsistentRead: true }));
  } catch {
    table = 'unreachable';
  }
  return { status: table === 'ok' ? 'ok' : 'degraded', service: 'mpfleet', checks: { table } };
}
