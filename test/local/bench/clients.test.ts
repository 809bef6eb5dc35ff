import { describe, expect, it } from 'vitest';
import { lastTargetChangeMs } from '../../../local/bench/clients';

describe('the end of a watched deployment, as the benches report it', () => {
  it('is the latest change of any target, read over every page of the deployment', async () => {
    const asked: string[] = [];
    const pages: Record<string, unknown> = {
      '': { targets: [{ updatedAt: '2026-12-01T10:00:03.250Z' }, { updatedAt: '2026-12-01T10:00:01.000Z' }], nextToken: 'p/2+' },
      'p/2+': { targets: [{ updatedAt: '2026-12-01T10:00:04.125Z' }, { updatedAt: '2026-12-01T10:00:02.000Z' }] },
    };
    const operator = async (p: string) => {
      asked.push(p);
      return pages[new URL(p, 'http://local').searchParams.get('nextToken') ?? ''] as Record<string, unknown>;
    };

    expect(await lastTargetChangeMs(operator, 'd-1')).toBe(Date.parse('2026-12-01T10:00:04.125Z'));
    expect(asked).toEqual(['/api/deployments/d-1?limit=1000', '/api/deployments/d-1?limit=1000&nextToken=p%2F2%2B']);
  });
});
