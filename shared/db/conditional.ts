import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/**
 * Runs a conditional write and says whether its condition held. A failed condition is the
 * expected end of a lost race (another delivery, instance or newer value got there first), so it
 * is an answer, not an error; anything else DynamoDB throws still throws. This is the one place
 * that knows DynamoDB's exception for it.
 */
export async function conditionHeld(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Like {@link conditionHeld}, keeping the write's answer: undefined when the condition did not hold. */
export async function ifConditionHeld<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}
