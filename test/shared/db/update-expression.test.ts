import { describe, expect, it } from 'vitest';
import { updateExpression } from '../../../shared/db/update-expression';

describe('updateExpression', () => {
  it('sets each value behind generated placeholders, so reserved words are safe', () => {
    expect(updateExpression({ status: 'active', token: 't-1' })).toEqual({
      UpdateExpression: 'SET #u0 = :u0, #u1 = :u1',
      ExpressionAttributeNames: { '#u0': 'status', '#u1': 'token' },
      ExpressionAttributeValues: { ':u0': 'active', ':u1': 't-1' },
    });
  });

  it('skips undefined values but keeps null, false and zero', () => {
    const parts = updateExpression({ a: undefined, b: null, c: false, d: 0 });
    expect(parts.UpdateExpression).toBe('SET #u0 = :u0, #u1 = :u1, #u2 = :u2');
    expect(parts.ExpressionAttributeNames).toEqual({ '#u0': 'b', '#u1': 'c', '#u2': 'd' });
    expect(parts.ExpressionAttributeValues).toEqual({ ':u0': null, ':u1': false, ':u2': 0 });
  });

  it('removes attributes after the sets', () => {
    expect(updateExpression({ token: 't-2' }, ['leaseOwner', 'leaseUntilMs'])).toEqual({
      UpdateExpression: 'SET #u0 = :u0 REMOVE #r0, #r1',
      ExpressionAttributeNames: { '#u0': 'token', '#r0': 'leaseOwner', '#r1': 'leaseUntilMs' },
      ExpressionAttributeValues: { ':u0': 't-2' },
    });
  });

  it('has no values when it only removes (DynamoDB refuses an empty value map)', () => {
    const parts = updateExpression({ gone: undefined }, ['statusReason']);
    expect(parts).toEqual({ UpdateExpression: 'REMOVE #r0', ExpressionAttributeNames: { '#r0': 'statusReason' } });
    expect('ExpressionAttributeValues' in parts).toBe(false);
  });

  it("uses placeholders a condition's own (#name, :value) never collide with", () => {
    const parts = updateExpression({ at: 1, now: 2 });
    expect(Object.keys(parts.ExpressionAttributeValues!)).toEqual([':u0', ':u1']);
  });

  it('refuses an update that would change nothing', () => {
    expect(() => updateExpression({})).toThrow(/nothing to set or remove/);
    expect(() => updateExpression({ a: undefined }, [])).toThrow(/nothing to set or remove/);
  });
});
