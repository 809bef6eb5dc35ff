/**
 * The function catalogue says which functions call WeChat, and the stack puts exactly those behind
 * the whitelisted egress IPs. This checks the catalogue against the code itself: a function whose
 * bundle reaches the WeChat HTTP client but is not marked would run outside the VPC and get 61004.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, FUNCTION_NAMES } from '../../infra/functions';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WECHAT_CLIENT = 'shared/wechat/http.ts';

async function bundledSources(name: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'functions', name, 'handler.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe('function catalogue', () => {
  it('marks exactly the functions whose code reaches the WeChat HTTP client as calling WeChat', async () => {
    const reaches = Object.fromEntries(
      await Promise.all(FUNCTION_NAMES.map(async (name) => [name, (await bundledSources(name)).includes(WECHAT_CLIENT)] as const)),
    );
    // The check sees the client at all (else every function would pass as "not calling").
    expect(Object.values(reaches).some(Boolean)).toBe(true);
    expect(reaches).toEqual(Object.fromEntries(FUNCTION_NAMES.map((name) => [name, FUNCTIONS[name].callsWeChat])));
  });

  it('grants the component secret to every function that calls WeChat (it needs a component token)', () => {
    for (const name of FUNCTION_NAMES) {
      if (FUNCTIONS[name].callsWeChat) expect(FUNCTIONS[name].secrets, name).toContain('componentSecret');
    }
  });
});
