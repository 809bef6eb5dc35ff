/**
 * The CLI against a fake operator API that can go away and come back: `--watch` rides through a
 * restart, exit codes tell the truth (nothing deployed, every target skipped), a manual release
 * names the next command, typos and validation errors name the flag the user typed, `templates add`
 * warns about a draft already in the library, and nothing the API or WeChat sends can reach the
 * terminal as a control sequence.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentView, TargetView } from '../../shared/contract/operator-api';
import { runCli, type RunOptions } from './run-cli';

interface Answer {
  status: number;
  body: unknown;
}

const ID = 'd-mx3kglnp-fff6fea5';
let server: Server | undefined;
let port = 0;
let route: (method: string, path: string, body: unknown) => Answer;
let requests: string[] = [];

async function startFake(onPort = 0): Promise<void> {
  server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const { status, body } = route(req.method!, req.url!, text === '' ? undefined : JSON.parse(text));
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server!.listen(onPort, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}

async function stopFake(): Promise<void> {
  const closing = server;
  server = undefined;
  if (!closing) return;
  await new Promise((resolve) => {
    closing.close(resolve);
    closing.closeAllConnections();
  });
}

beforeEach(async () => {
  requests = [];
  await startFake();
});
afterEach(stopFake);

const cli = (argv: string[], options: RunOptions = {}) =>
  runCli(argv, { ...options, env: { MPFLEET_URL: `http://127.0.0.1:${port}`, MPFLEET_TOKEN: 'fake', ...options.env } });

const view = (over: Partial<DeploymentView>): DeploymentView => ({
  id: ID,
  status: 'completed',
  templateId: 1,
  userVersion: '1.1.0',
  userDesc: 'settings page',
  submitAudit: true,
  release: 'auto',
  counts: {},
  total: 0,
  createdAt: '2026-11-30T17:53:54.010Z',
  updatedAt: '2026-11-30T17:53:54.696Z',
  targets: [],
  ...over,
});
const target = (appid: string, state: TargetView['state'], over: Partial<TargetView> = {}): TargetView => ({
  appid,
  state,
  attempts: 0,
  updatedAt: '2026-11-30T17:53:54.761Z',
  ...over,
});
const ok = (body: unknown): Answer => ({ status: 200, body });

describe('--watch rides through an API restart', () => {
  it('status --watch: the API goes away and comes back; a notice each way, and exit 0 when it completes', async () => {
    let polls = 0;
    route = () => {
      polls++;
      return ok(view({ status: 'running', counts: { committing: 2 }, total: 2 }));
    };
    const watching = cli(['status', ID, '--watch']);
    // Let it poll, then take the API away (connections refused) for a while.
    while (polls < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    const samePort = port;
    await stopFake();
    await new Promise((resolve) => setTimeout(resolve, 600));
    route = () => ok(view({ status: 'completed', counts: { released: 2 }, total: 2, targets: [target('wx0000000000000001', 'released'), target('wx0000000000000002', 'released')] }));
    await startFake(samePort);

    const result = await watching;
    expect(result.stderr).toMatch(/API unreachable \(cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\), retrying…/);
    expect(result.stderr.match(/API unreachable/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/API reachable again after \d+s/);
    expect(result.stdout).toMatch(/deployment d-\S+ {2}completed/);
    expect(result.code).toBe(0);
  });

  it('a 502/503 from a gateway in front of it counts as unreachable too', async () => {
    let polls = 0;
    route = () => (++polls <= 2 ? { status: polls === 1 ? 502 : 503, body: { message: 'Service Unavailable' } } : ok(view({ counts: { committed: 1 }, total: 1 })));
    const result = await cli(['status', ID, '--watch']);
    expect(result.stderr).toMatch(/API unreachable \(.*\), retrying…/);
    expect(result.code).toBe(0);
  });

  it('gives up after the bound with exit 1 and the last error', async () => {
    await stopFake();
    const result = await cli(['status', ID, '--watch'], { reconnectForMs: 300 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/API unreachable/);
    expect(result.stderr).toMatch(/^error: network_error: cannot reach .*; gave up watching after 0s without an answer$/m);
  });

  it('an answer that is not an outage (401, 404) still ends the watch at once', async () => {
    route = () => ({ status: 404, body: { error: { code: 'deployment_not_found', message: 'no deployment d-x' } } });
    const result = await cli(['status', 'd-x', '--watch']);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/unreachable/);
  });
});

describe('exit codes tell the truth', () => {
  it('a deployment with no targets exits 4 and says so', async () => {
    route = () => ok(view({ total: 0 }));
    const result = await cli(['status', ID, '--watch']);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/nothing deployed: the deployment has no targets/);
  });

  it('a deployment whose every target was skipped exits 4 and lists why', async () => {
    route = () =>
      ok(
        view({
          counts: { skipped: 2 },
          total: 2,
          targets: [
            target('wx0000000000000001', 'skipped', { error: { code: 'tenant_revoked', message: 'unauthorized' } }),
            target('wx0000000000000002', 'skipped', { error: { code: 'tenant_needs_reauth', message: 'tenant is needs_reauth' } }),
          ],
        }),
      );
    const result = await cli(['status', ID, '--watch']);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/nothing deployed: every target was skipped:\nAPPID.*\nwx0000000000000001\s+skipped\s+-\s+tenant_revoked: unauthorized\n/);
  });

  it('some skipped, the rest deployed: exit 0', async () => {
    route = () => ok(view({ counts: { skipped: 1, released: 1 }, total: 2 }));
    expect((await cli(['status', ID, '--watch'])).code).toBe(0);
  });

  it('deploy --tenants with unknown appids: the API\'s unknown_tenants, exit 1', async () => {
    route = () => ({ status: 400, body: { error: { code: 'unknown_tenants', message: 'unknown tenants: wx00000000000000aa, wx00000000000000bb' } } });
    const result = await cli(['deploy', '--template', '1', '--version', '1.0.0', '--desc', 'x', '--tenants', 'wx00000000000000aa,wx00000000000000bb', '--watch']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: unknown_tenants: unknown tenants: wx00000000000000aa, wx00000000000000bb\n');
  });

  it('a manual-release deployment waiting at approved says so and prints the next command', async () => {
    route = () => ok(view({ release: 'manual', counts: { approved: 3 }, total: 3 }));
    const result = await cli(['status', ID, '--watch']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`waiting for a manual release: 3 approved targets. Next:\n  mpfleet release ${ID} `);
    expect(result.stdout).toContain(`mpfleet release ${ID} --gray 10`);
    // Automatic releases need nothing from the operator.
    route = () => ok(view({ release: 'auto', counts: { released: 3 }, total: 3 }));
    expect((await cli(['status', ID, '--watch'])).stdout).not.toContain('waiting for a manual release');
  });
});

describe('the CLI names what the user typed', () => {
  it('a typo\'d option is named even when a required option is then missing', async () => {
    const typo = await cli(['deploy', '--templte', '1', '--version', '1.0.0', '--desc', 'x']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^error: unknown option '--templte'/);
    const missing = await cli(['deploy', '--version', '1.0.0', '--desc', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: required option '--template <id>' not specified/);
    expect(requests).toEqual([]);
  });

  it('deploy\'s validation errors name the flag, not the API field', async () => {
    const cases: [string, string][] = [
      ['userVersion: Too big: expected string to have <=64 characters', '--version: Too big: expected string to have <=64 characters'],
      ['userDesc: Too small', '--desc: Too small'],
      ['tenants.2: must be an appid', '--tenants (appid 3 in the list): must be an appid'],
      ['ext.window.navigationBarTitleText: Invalid input', '--ext file: window.navigationBarTitleText: Invalid input'],
      ['auditItems: Too big', 'auditItems: Too big'],
    ];
    for (const [api, shown] of cases) {
      route = () => ({ status: 400, body: { error: { code: 'validation_failed', message: api } } });
      const result = await cli(['deploy', '--template', '1', '--version', '1.0.0', '--desc', 'x']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: validation_failed: ${shown}\n`);
    }
  });
});

describe('templates add', () => {
  const draft = { draftId: 3, userVersion: '1.2.0', userDesc: 'checkout', createdAt: '2026-11-01T00:00:00.000Z', sourceMiniprogramAppid: 'wx00000000000000ff' };
  const library = (templates: unknown[]) => (method: string, path: string): Answer => {
    if (path === '/api/templates/drafts') return ok({ drafts: [draft] });
    if (method === 'GET' && path === '/api/templates') return ok({ templates });
    return { status: 200, body: { templateId: 9, userVersion: '1.2.0', userDesc: 'checkout', createdAt: '2026-11-30T00:00:00.000Z', templateType: 0 } };
  };

  it('warns when the draft is already in the library, and adds it anyway (WeChat allows it)', async () => {
    route = library([{ templateId: 7, userVersion: '1.2.0', userDesc: 'checkout', createdAt: '2026-11-02T00:00:00.000Z', templateType: 0, sourceMiniprogramAppid: 'wx00000000000000ff' }]);
    const result = await cli(['templates', 'add', '3']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('warning: draft 3 is already in the library as template 7 (same version and description); adding it again makes another template\n');
    expect(result.stdout).toBe('added draft 3 as template 9\n');
    expect(requests).toContain('POST /api/templates');
  });

  it('says nothing for a draft not in the library yet', async () => {
    route = library([{ templateId: 7, userVersion: '1.1.0', userDesc: 'checkout', createdAt: '2026-11-02T00:00:00.000Z', templateType: 0 }]);
    const result = await cli(['templates', 'add', '3']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('control characters from the API never reach the terminal', () => {
  const hostile = '\x1b]0;pwned\x07\x1b[2J\x1b[H示例\x9b2J\x07\x08小店\x1bc';
  // eslint-disable-next-line no-control-regex
  const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

  it('tables, errors and progress lines print the text without its escape sequences', async () => {
    route = () => ok({ tenants: [{ appid: 'wx0000000000000001', nickName: hostile, status: 'active', permissions: [] }] });
    const tenants = await cli(['tenants']);
    expect(tenants.stdout).not.toMatch(CONTROL);
    expect(tenants.stdout).toMatch(/^wx0000000000000001 {2}示例2J小店 {2}active/m);

    route = () => ({ status: 400, body: { error: { code: 'bad\x1b[31m', message: `refused: ${hostile}` } } });
    const error = await cli(['tenants']);
    expect(error.stderr).toBe('error: bad: refused: 示例2J小店\n');

    route = () => ok(view({ status: 'completed', counts: { [`released${hostile}`]: 1 } as DeploymentView['counts'], total: 1, targets: [target('wx0000000000000001', 'failed', { error: { code: '-1', message: hostile } })] }));
    for (const tty of [false, true]) {
      const watched = await cli(['status', ID, '--watch'], { tty });
      // The bars draw their own cursor movement on a terminal; nothing else may.
      const printed = tty ? watched.stdout.replace(/\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g, '') : watched.stdout; // eslint-disable-line no-control-regex
      expect(printed).not.toMatch(/pwned|\x1b\]|\x9b/); // eslint-disable-line no-control-regex
      expect(printed).toContain('示例2J小店');
    }
  });

  it('--json keeps every character, escaped, so a script sees the data and a terminal sees no control', async () => {
    route = () => ok({ tenants: [{ appid: 'wx0000000000000001', nickName: hostile, status: 'active' }] });
    const result = await cli(['tenants', '--json']);
    expect(result.stdout).not.toMatch(CONTROL);
    expect(JSON.parse(result.stdout).tenants[0].nickName).toBe(hostile);
  });
});
