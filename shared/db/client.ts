import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let shared: { client: DynamoDBDocumentClient; endpoint: string | undefined } | undefined;

/**
 * One DynamoDB client per container, created on first use so it picks up the environment the
 * runtime set (locally AWS_ENDPOINT_URL_DYNAMODB points it at the embedded dynalite, whose port
 * changes when the local stack restarts in-process).
 */
export function dynamo(): DynamoDBDocumentClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!shared || shared.endpoint !== endpoint) {
    shared = {
      client: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
      endpoint,
    };
  }
  return shared.client;
}

export function tableName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}
