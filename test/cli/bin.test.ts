/**
 * The `mpfleet` bin is the bundle cli/build.mjs writes: it must run with plain node (no tsx, no
 * node_modules beside it) and carry only the CLI, never the server code it talks to over HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

let dir: string;
let bin: string;

// A private output file: the shared cli/dist is left to `npm ci` and `npm run cli`.
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mpfleet-bin-'));
  bin = path.join(dir, 'mpfleet.mjs');
  await run(process.execPath, [path.join(ROOT, 'cli', 'build.mjs'), '--outfile', bin], { cwd: ROOT });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the mpfleet bin', () => {
  it('runs with plain node from anywhere and prints the usage', async () => {
    // Outside the repo, with no loader: only the bundle itself can resolve commander and cli-progress.
    const { stdout, stderr } = await run(process.execPath, [bin, '--help'], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
    expect(stdout).toMatch(/^Usage: mpfleet \[options\] \[command\]/);
    expect(stdout).toContain('deploy [options]');
    for (const command of ['release [options] <id>', 'revert-gray <id>', 'resubmit [options] <id>', 'withdraw <id>']) expect(stdout).toContain(command);
    expect(stdout).toContain('Exit codes:');
    expect(stderr).toBe('');
  });

  it('is an executable script with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(bin).mode & 0o111).not.toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    const error = await run(process.execPath, [bin, 'no-such-command'], { cwd: dir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'no-such-command'") });
  });

  it('bundles no server code: the CLI reaches the platform over HTTP only', () => {
    const source = readFileSync(bin, 'utf8');
    for (const serverOnly of ['@aws-sdk', 'DynamoDB', '@middy', '@aws-lambda-powertools', 'zod', 'shared/services', 'shared/http/']) {
      expect(source, serverOnly).not.toContain(serverOnly);
    }
  });
});

describe('what the CLI may import from the server side', () => {
  const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^import (type )?[^;]*? from '([^']+)';$/gms)].map(([, type, from]) => ({ type: !!type, from: from! }));
  const cliFiles = readdirSync(path.join(ROOT, 'cli'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(ROOT, 'cli', file));

  it('only the types of shared/contract, nothing else of shared/', () => {
    const reachesShared = cliFiles.flatMap((file) =>
      imports(file)
        .filter(({ from }) => from.startsWith('.') && path.resolve(path.dirname(file), from).startsWith(path.join(ROOT, 'shared') + path.sep))
        .map(({ type, from }) => ({ file: path.relative(ROOT, file), type, module: path.relative(ROOT, path.resolve(path.dirname(file), from)) })),
    );
    expect(reachesShared.length).toBeGreaterThan(0);
    for (const reach of reachesShared) expect(reach, reach.file).toMatchObject({ type: true, module: 'shared/contract/operator-api' });
  });

  it('the contract module holds types only', () => {
    const found = imports(path.join(ROOT, 'shared', 'contract', 'operator-api.ts'));
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter(({ type }) => !type)).toEqual([]);
  });
});
