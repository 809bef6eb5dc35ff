import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

// Placeholder until the fan-out deploy lands: reports every message as failed so none is dropped
// silently (they end in the dead-letter queue, where the alarm shows them).
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => ({
  batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
});
