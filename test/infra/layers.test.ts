/**
 * The layer rule in eslint.config.js, run as `npm run lint` runs it: shared/ never imports the
 * outer folders, only shared/http/ speaks HTTP, functions/ never reach into local/ or infra/.
 * Relative imports are what the code writes, so those are what is checked here.
 */
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: ROOT });

/** The layer-rule messages ESLint reports for `source` as if it were the file at `file`. */
async function layerViolations(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rule', () => {
  it('refuses an HTTP error in a domain module', async () => {
    const violations = await layerViolations('shared/templates/probe.ts', "import { notFound } from '../http/errors';\nexport const probe = notFound;\n");
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/'\.\.\/http\/errors' import is restricted.*Only shared\/http\/ speaks HTTP/);
  });

  it('refuses a type-only import from shared/http too', async () => {
    const violations = await layerViolations('shared/pushes/probe.ts', "import type { HttpError } from '../http/errors';\nexport type Probe = HttpError;\n");
    expect(violations).toHaveLength(1);
  });

  it('lets shared/http map the domain errors', async () => {
    expect(await layerViolations('shared/http/probe.ts', "import { DomainError } from '../errors';\nexport const probe = DomainError;\n")).toEqual([]);
  });

  it('refuses the local runtime in shared/', async () => {
    const violations = await layerViolations('shared/tenants/probe.ts', "import { startDynamo } from '../../local/runtime/dynamodb';\nexport const probe = startDynamo;\n");
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/shared\/ is the domain/);
  });

  it('refuses functions/, infra/ and cli/ in shared/, shared/http included', async () => {
    for (const [file, from] of [
      ['shared/tokens/probe.ts', '../../functions/health/handler'],
      ['shared/db/probe.ts', '../../infra/routes'],
      ['shared/http/probe.ts', '../../cli/main'],
    ]) {
      expect(await layerViolations(file!, `import * as probe from '${from}';\nexport { probe };\n`), `${file} importing ${from}`).toHaveLength(1);
    }
  });

  it('refuses local/ and infra/ in functions/, and lets them use shared/http', async () => {
    expect(await layerViolations('functions/health/probe.ts', "import { startDynamo } from '../../local/runtime/dynamodb';\nexport const probe = startDynamo;\n")).toHaveLength(1);
    expect(await layerViolations('functions/health/probe.ts', "import { FUNCTIONS } from '../../infra/functions';\nexport const probe = FUNCTIONS;\n")).toHaveLength(1);
    expect(await layerViolations('functions/health/probe.ts', "import { httpHandler } from '../../shared/http/handler';\nexport const probe = httpHandler;\n")).toEqual([]);
  });
});
