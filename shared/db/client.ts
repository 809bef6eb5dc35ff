import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * One DynamoDB client per container, created on first use so it picks up the environment the
 * runtime set (locally AWS_ENDPOINT_URL_DYNAMODB points it at the embedded dynalite).
 */
export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function tableName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}
