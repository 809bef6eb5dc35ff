/**
 * `mpfleet deploy --watch` across a restart of the whole local stack (same port, same DATA_DIR, the
 * same operator token from <DATA_DIR>/operator-token): the CLI waits with a notice, reconnects, and
 * exits 0 once every tenant is released. A deploy naming an unknown tenant fails up front, listed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortPair } from '../support/free-port';
import type { DeploymentView } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';
import { runCli } from './run-cli';

const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-cli-restart-'));
let current: TestStack | undefined;
afterAll(async () => {
  await current?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('mpfleet deploy --watch across a restart of the stack', () => {
  it('waits while the stack is down, reconnects with the same token, and exits 0 when all are released', async () => {
    const port = await freePortPair();
    // As `npm start` runs it: the token from the data dir, the emulator's state kept there.
    const start = () => startTestStack({ port, dataDir, persistEmulator: true, env: {}, emulator: { auditDelayMs: 1500 } });
    current = await start();
    const t = current;
    await t.until(async () => services().tickets.latest());
    const appids = (await t.seededAppids()).slice(0, 2);
    for (const appid of appids) await t.admin('/authorize', { appid });
    await t.until(async () => (await services().tenants.list()).tenants.length === appids.length);
    const env = { MPFLEET_URL: t.stack.url, MPFLEET_TOKEN: t.stack.operatorToken };

    const unknown = await runCli(['deploy', '--template', '1', '--version', '2.0.0', '--desc', 'x', '--tenants', `${appids[0]},wx00000000000000aa`], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: unknown_tenants: unknown tenants: wx00000000000000aa\n');

    const watching = runCli(['deploy', '--template', '1', '--version', '2.0.0', '--desc', 'across a restart', '--watch'], { env });
    // Restart while the audits are under review.
    await t.until(async () => {
      const list = (await (await t.operator('/api/deployments')).json()) as { deployments: DeploymentView[] };
      return (list.deployments[0]?.counts.auditing ?? 0) === appids.length;
    }, 20_000);
    await t.stack.close();
    current = undefined;
    await new Promise((resolve) => setTimeout(resolve, 700));
    current = await start();
    expect(current.stack.operatorToken).toBe(env.MPFLEET_TOKEN);

    const result = await watching;
    expect(result.stderr).toMatch(/API unreachable \(cannot reach .*\), retrying…/);
    expect(result.stderr).toMatch(/API reachable again/);
    expect(result.stdout).toMatch(/deployment d-\S+ {2}completed .* 2 targets\n {2}released {2}2/);
    expect(result.code).toBe(0);
  }, 90_000);
});
