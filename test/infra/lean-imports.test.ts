/**
 * What keeps the Lambda bundles small (npm run bench measures them): zod's `z` object pulls every
 * locale of zod's messages into a bundle (~440 KiB minified); its module namespace, `import * as z`,
 * lets the bundler keep only what is used (~90 KiB). And the HTTP edge maps an XML refusal without
 * bundling the XML parser into every API function.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.tsx?$/.test(file) && !file.includes('node_modules') && !file.includes('dist/'))
    .map((file) => path.join(folder, file));
}

describe('lean bundles', () => {
  it("imports zod's module namespace, never its `z` object, in code that ships", () => {
    const offenders = ['shared', 'functions', 'cli', 'console/src'].flatMap(sources).filter((file) => /^import \{[^}]*\bz\b[^}]*\} from 'zod'/m.test(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('keeps the XML parser out of the HTTP edge', () => {
    const edge = sources('shared/http').filter((file) => /from '\.\.\/wechat\/xml'/.test(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(edge).toEqual([]);
  });
});
