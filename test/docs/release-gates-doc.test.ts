import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BLOCKER_CODES, blocker } from '../../shared/readiness/blockers';

const doc = readFileSync(new URL('../../docs/release-gates.md', import.meta.url), 'utf8');

/** The rows of the table under "## Blocker codes": `| \`code\` | when | fix |`. */
function blockerTable(): { code: string; when: string; fix: string }[] {
  const section = doc.split(/^## /m).find((s) => s.startsWith('Blocker codes\n'));
  if (!section) throw new Error('docs/release-gates.md has no "## Blocker codes" section');
  return section
    .split('\n')
    .filter((line) => /^\| `[^`]+` \|/.test(line))
    .map((line) => {
      const cells = line.slice(1, -1).split(' | ').map((cell) => cell.trim());
      if (cells.length !== 3) throw new Error(`a blocker row has ${cells.length} cells, not 3: ${line}`);
      return { code: cells[0]!.replace(/`/g, ''), when: cells[1]!, fix: cells[2]! };
    });
}

describe('docs/release-gates.md', () => {
  it('lists exactly the blocker codes of shared/readiness/blockers.ts, in their order', () => {
    expect(blockerTable().map((row) => row.code)).toEqual([...BLOCKER_CODES]);
  });

  it('gives each code the fix the API answers with', () => {
    for (const row of blockerTable()) expect({ code: row.code, fix: row.fix }).toEqual({ code: row.code, fix: blocker(row.code as (typeof BLOCKER_CODES)[number], '').fix });
  });

  it('says when each code arises', () => {
    for (const row of blockerTable()) expect(row.when.length, row.code).toBeGreaterThan(20);
  });
});
