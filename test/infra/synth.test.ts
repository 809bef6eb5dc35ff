import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/functions';

const out = mkdtempSync(path.join(tmpdir(), 'mpfleet-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('cdk synth', () => {
  it('synthesises offline with every function bundled by the local esbuild', () => {
    execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', out], { stdio: 'pipe', env: { ...process.env, CI: 'true' } });
    const template = JSON.parse(readFileSync(path.join(out, 'mpfleet-prod.template.json'), 'utf8'));
    const functions = Object.values(template.Resources as Record<string, { Type: string; Properties: { Code: { S3Key: string } } }>).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(FUNCTION_NAMES.length);
    for (const fn of functions) {
      const asset = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
      expect(existsSync(path.join(out, `asset.${asset}`, 'index.mjs'))).toBe(true);
    }
  }, 120_000);
});
