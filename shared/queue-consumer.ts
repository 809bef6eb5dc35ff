import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from './logger';

/**
 * A queue's consumer: the records of a batch run concurrently; each failure is reported alone, so
 * only it is redelivered, and a batch that failed whole is reported message by message too rather
 * than failing the invocation. A processor per batch: it keeps its batch's state on itself,
 * whichever runtime polls batches side by side.
 */
export function queueConsumer<Batch = undefined>(handleRecord: (record: SQSRecord, batch: Batch) => Promise<void>, newBatch?: () => Batch) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context) => {
      // What the batch's records share (reads done once for all of them), made afresh for each batch.
      const batch = newBatch?.() as Batch;
      return processPartialResponse(event, (record: SQSRecord) => handleRecord(record, batch), new BatchProcessor(EventType.SQS), { context, processInParallel: true, throwOnFullBatchFailure: false });
    });
}

/** The record's body as `schema` says, or undefined (logged) for a message no retry can fix. */
export function messageOf<S extends z.ZodType>(schema: S, record: SQSRecord, what: string): z.infer<S> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  logger.error(`malformed ${what} message dropped`, { messageId: record.messageId });
  return undefined;
}
