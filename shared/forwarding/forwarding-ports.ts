import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from '../db/client';
import { TenantStore } from '../tenants/tenant-store';
import { DeliveryStore } from './delivery-store';
import { ForwardQueue } from './forward-queue';
import { forwardRetryPolicy } from './retry-policy';

/**
 * What forwarding needs, and nothing that reaches WeChat: the forwarder and the forwarding API run
 * outside the egress VPC (infra/functions.ts: callsWeChat false), so they must not build services().
 */
export interface ForwardingPorts {
  db: DynamoDBDocumentClient;
  table: string;
  tenants: TenantStore;
  deliveries: DeliveryStore;
  forwardQueue: ForwardQueue;
}

/** The delivery store and the forwarding queue, wired once here for services() and for these ports. */
export function forwardingAdapters(db: DynamoDBDocumentClient, table: string, env: NodeJS.ProcessEnv = process.env): Pick<ForwardingPorts, 'deliveries' | 'forwardQueue'> {
  return { deliveries: new DeliveryStore(db, table, forwardRetryPolicy(env).retentionDays), forwardQueue: new ForwardQueue(env.FORWARD_QUEUE_URL ?? '') };
}

export function createForwardingPorts(env: NodeJS.ProcessEnv = process.env, db: DynamoDBDocumentClient = dynamo()): ForwardingPorts {
  const table = tableName(env);
  return { db, table, tenants: new TenantStore(db, table), ...forwardingAdapters(db, table, env) };
}

let shared: { ports: ForwardingPorts; builtFrom: string } | undefined;

/** The container's ports, rebuilt when the local runtime restarts in-process with new endpoints. */
export function forwardingPorts(): ForwardingPorts {
  const builtFrom = ['TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB', 'FORWARD_QUEUE_URL'].map((name) => process.env[name] ?? '').join('|');
  if (shared?.builtFrom !== builtFrom) shared = { ports: createForwardingPorts(), builtFrom };
  return shared.ports;
}
