/**
 * A restart of `npm start` keeps the local identity an operator copied: the operator token (kept in
 * <DATA_DIR>/operator-token) and the emulator's port (PORT + 1, or EMULATOR_PORT); a wrong token's
 * 401 says where the right one is without giving it away.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortPair } from '../support/free-port';
import { resetDataDir, startLocalStack, type LocalStack } from '../../local/stack';

const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-identity-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function withStack<T>(options: { port: number; env?: NodeJS.ProcessEnv; reset?: boolean }, use: (stack: LocalStack) => Promise<T>): Promise<T> {
  const stack = await startLocalStack({ dataDir, schedules: false, env: {}, ...options });
  try {
    return await use(stack);
  } finally {
    await stack.close();
  }
}

describe('stable local identity', () => {
  it('the same operator token and emulator port (PORT + 1) after a restart on the same DATA_DIR; --reset makes a new token', async () => {
    const port = await freePortPair();
    const first = await withStack({ port }, async (stack) => ({ token: stack.operatorToken, source: stack.operatorTokenSource, emulatorUrl: stack.emulator!.url }));
    expect(first.source).toBe('file-created');
    expect(first.emulatorUrl).toBe(`http://127.0.0.1:${port + 1}`);
    const file = path.join(dataDir, 'operator-token');
    expect(readFileSync(file, 'utf8').trim()).toBe(first.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = await withStack({ port }, async (stack) => {
      const tenants = await fetch(`${stack.url}/api/tenants`, { headers: { authorization: `Bearer ${first.token}` } });
      expect(tenants.status).toBe(200);
      return { token: stack.operatorToken, source: stack.operatorTokenSource, emulatorUrl: stack.emulator!.url };
    });
    expect(second).toEqual({ token: first.token, source: 'file', emulatorUrl: first.emulatorUrl });

    await resetDataDir(dataDir);
    const afterReset = await withStack({ port }, async (stack) => stack.operatorToken);
    expect(afterReset).not.toBe(first.token);
  });

  it('OPERATOR_TOKEN overrides the file; EMULATOR_PORT overrides PORT + 1', async () => {
    const port = await freePortPair();
    const emulatorPort = await freePortPair();
    await withStack({ port, env: { OPERATOR_TOKEN: 'from-the-environment', EMULATOR_PORT: String(emulatorPort) } }, async (stack) => {
      expect(stack.operatorToken).toBe('from-the-environment');
      expect(stack.operatorTokenSource).toBe('env');
      expect(stack.emulator!.url).toBe(`http://127.0.0.1:${emulatorPort}`);
    });
  });

  it('a wrong or missing token gets a 401 saying where the right one is, without it', async () => {
    await withStack({ port: 0 }, async (stack) => {
      for (const headers of [{ authorization: 'Bearer wrong' }, {}] as Record<string, string>[]) {
        const response = await fetch(`${stack.url}/api/tenants`, { headers });
        expect(response.status).toBe(401);
        const { error } = (await response.json()) as { error: { code: string; message: string } };
        expect(error.code).toBe('unauthorized');
        expect(error.message).toContain(path.join(stack.dataDir, 'operator-token'));
        expect(error.message).toContain('npm start');
        expect(error.message).not.toContain(stack.operatorToken);
      }
    });
  });
});
