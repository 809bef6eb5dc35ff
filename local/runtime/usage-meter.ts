/**
 * What the local platform would be billed for on AWS, counted while a meter runs: DynamoDB requests
 * and the capacity units dynalite reports for them (ReturnConsumedCapacity, added to every
 * request), SQS requests and the messages they carry, and Lambda invocations with their duration.
 * The bench (local/bench/cost.ts) turns a count into dollars; nothing records anything unless a
 * meter was started, and then only in this process.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface Usage {
  dynamo: Record<string, { requests: number; capacityUnits: number }>;
  sqs: Record<string, { requests: number; messages: number }>;
  lambda: Record<string, { invocations: number; ms: number; billedMs: number }>;
}

const empty = (): Usage => ({ dynamo: {}, sqs: {}, lambda: {} });
let current: Usage | undefined;
const metered = new WeakSet<object>();

/** Starts (or restarts) counting; the DynamoDB client given is metered from now on. */
export function startUsageMeter(db: DynamoDBDocumentClient): void {
  current = empty();
  if (metered.has(db)) return;
  metered.add(db);
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (current) input.ReturnConsumedCapacity = 'TOTAL';
      const count = (units: number) => {
        if (!current) return;
        const entry = (current.dynamo[context.commandName ?? 'unknown'] ??= { requests: 0, capacityUnits: 0 });
        entry.requests += 1;
        entry.capacityUnits += units;
      };
      let result;
      try {
        result = await next(args);
      } catch (error) {
        // A write whose condition failed is billed too (a unit for a small item; dynalite reports none).
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') count(1);
        throw error;
      }
      const output = result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] };
      count([output.ConsumedCapacity ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0));
      return result;
    },
    { step: 'initialize', name: 'mpfleetUsageMeter' },
  );
}

export function stopUsageMeter(): Usage {
  const usage = current ?? empty();
  current = undefined;
  return usage;
}

/** What was counted so far, without stopping. */
export function usageSoFar(): Usage {
  return structuredClone(current ?? empty());
}

/** An empty receive is the event source polling an idle queue: a steady cost of its own, kept apart. */
export function recordSqsRequest(action: string, messages: number): void {
  if (!current) return;
  const entry = (current.sqs[action === 'ReceiveMessage' && messages === 0 ? 'ReceiveMessage (empty poll)' : action] ??= { requests: 0, messages: 0 });
  entry.requests += 1;
  entry.messages += messages;
}

/** Lambda bills each invocation's duration rounded up to the millisecond. */
export function recordInvocation(functionName: string, ms: number): void {
  if (!current) return;
  const entry = (current.lambda[functionName] ??= { invocations: 0, ms: 0, billedMs: 0 });
  entry.invocations += 1;
  entry.ms += ms;
  entry.billedMs += Math.ceil(ms);
}
