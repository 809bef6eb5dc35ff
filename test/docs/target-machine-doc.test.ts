import { describe, expect, it } from 'vitest';
import { machineDoc, TRANSITIONS } from '../../shared/deployments/target-machine';

describe('docs/target-machine.md', () => {
  it('is the table the engine runs on (regenerate with `npx vitest run test/docs -u`)', async () => {
    await expect(machineDoc()).toMatchFileSnapshot('../../docs/target-machine.md');
  });

  it('lists every transition once', () => {
    const rows = machineDoc().split('\n').filter((line) => /^\| `[a-z_]+` \| `[a-z_]+` \| `[a-z_]+` \|/.test(line));
    expect(rows).toHaveLength(TRANSITIONS.length);
    expect(new Set(rows).size).toBe(TRANSITIONS.length);
  });
});
