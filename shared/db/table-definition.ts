/**
 * The single DynamoDB table's key schema, shared by the CDK construct and the local runtime
 * (which creates the same table in dynalite). Item layouts live beside the adapters that write them.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds. DynamoDB TTL deletes lazily (and dynalite never): readers check expiry in code. */
  ttlAttribute: 'expiresAt',
  indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
} as const;
