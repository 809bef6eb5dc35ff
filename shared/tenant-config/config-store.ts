import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantConfig } from './schema';

/** Stores a tenant's validated configuration on its profile item; false when there is no such tenant. */
export async function saveTenantConfig(db: DynamoDBDocumentClient, table: string, appid: string, config: TenantConfig): Promise<boolean> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `TENANT#${appid}`, sk: 'PROFILE' },
        UpdateExpression: 'SET #config = :config, updatedAtMs = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#config': 'config' },
        ExpressionAttributeValues: { ':config': config, ':now': Date.now() },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
