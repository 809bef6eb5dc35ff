import { describe, expect, it } from 'vitest';
import { runAllThenThrow } from '../../shared/concurrency';

describe('runAllThenThrow', () => {
  it('answers every result in order', async () => {
    expect(await runAllThenThrow([Promise.resolve(1), Promise.resolve('two')] as const)).toEqual([1, 'two']);
  });

  it('lets every job finish before failing with the first failure', async () => {
    let slowFinished = false;
    const slow = new Promise<void>((resolve) => setTimeout(() => ((slowFinished = true), resolve()), 20));
    await expect(runAllThenThrow([Promise.reject(new Error('first')), slow, Promise.reject(new Error('second'))] as const)).rejects.toThrow('first');
    expect(slowFinished).toBe(true);
  });
});
