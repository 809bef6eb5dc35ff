/**
 * The deployment actions and `status` against a fake operator API: what each command sends
 * (method, path, body) and what it prints and exits with for the API's 202 and for its 409s. The
 * fake answers as functions/api-deployments/handler.ts does; main.test.ts runs the same commands
 * against the real local stack.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../shared/contract/operator-api';
import { runCli, type RunOptions } from './run-cli';

interface Received {
  method: string;
  path: string;
  body: unknown;
  contentType?: string;
  authorization?: string;
}

interface Answer {
  status: number;
  body: unknown;
}

let server: Server;
let url: string;
let files: string;
let received: Received[] = [];
/** What the fake answers next; by default the 202 of an accepted action. */
let answer: (request: Received) => Answer;

const accepted = (request: Received): Answer => ({ status: 202, body: { id: request.path.split('/')[3], action: request.path.split('/')[4] } });
const conflict = (code: string, message: string) => (): Answer => ({ status: 409, body: { error: { code, message } } });

const ID = 'd-mx3kglnp-fff6fea5';
const TOKEN = 'fake-operator-token';

const cli = (argv: string[], options: RunOptions = {}) => runCli(argv, { ...options, env: { MPFLEET_URL: url, MPFLEET_TOKEN: TOKEN, ...options.env } });

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const request: Received = {
        method: req.method!,
        path: req.url!,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
      };
      received.push(request);
      const { status, body } = answer(request);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  files = mkdtempSync(path.join(tmpdir(), 'mpfleet-cli-actions-'));
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (files) rmSync(files, { recursive: true, force: true });
});
beforeEach(() => {
  received = [];
  answer = accepted;
});

const file = (name: string, content: string) => {
  const where = path.join(files, name);
  writeFileSync(where, content);
  return where;
};

const AUDIT_ITEMS = [{ address: 'pages/index/index', tag: '商城', first_class: '电商平台', first_id: 1 }];

interface ActionCase {
  argv: string[];
  path: string;
  /** The JSON body sent; undefined: none. */
  body?: unknown;
  printed: string;
  /** A 409 the API answers when the action cannot apply. */
  refusal: [code: string, message: string];
}

const ACTIONS: ActionCase[] = [
  {
    argv: ['release', ID],
    path: 'release',
    printed: `release requested for ${ID}`,
    refusal: ['nothing_to_release', 'no target is approved or in a gray release (3 auditing)'],
  },
  {
    argv: ['release', ID, '--gray', '20'],
    path: 'release',
    body: { grayPercentage: 20 },
    printed: `gray release to 20% requested for ${ID}`,
    refusal: ['deployment_cancelled', 'a cancelled deployment releases nothing: create a new one'],
  },
  {
    // Widening is the same request with a larger share; the API refuses one that is not larger.
    argv: ['release', ID, '--gray', '50'],
    path: 'release',
    body: { grayPercentage: 50 },
    printed: `gray release to 50% requested for ${ID}`,
    refusal: ['gray_not_wider', 'targets are gray at 50%: a gray release only widens (ask for more than 50%) or completes (ask without a percentage)'],
  },
  {
    argv: ['revert-gray', ID],
    path: 'revert-gray',
    printed: `revert-gray requested for ${ID}`,
    refusal: ['no_gray_release', 'no target is in a gray release (2 released)'],
  },
  {
    argv: ['retry', ID],
    path: 'retry',
    printed: `retry requested for ${ID}`,
    refusal: ['nothing_to_retry', 'no target failed or was rejected (2 released)'],
  },
  {
    argv: ['retry', ID, '--feedback', '类目已补充 / category added'],
    path: 'retry',
    body: { feedbackInfo: '类目已补充 / category added' },
    printed: `retry requested for ${ID}`,
    refusal: ['deployment_cancelled', 'a cancelled deployment cannot be retried: create a new one'],
  },
  {
    argv: ['resubmit', ID, '--feedback', 'see the new screenshots', '--audit-items', 'AUDIT_ITEMS_FILE'],
    path: 'retry',
    body: { feedbackInfo: 'see the new screenshots', auditItems: AUDIT_ITEMS },
    printed: `resubmit requested for ${ID}`,
    refusal: ['nothing_to_retry', 'no target failed or was rejected (1 approved)'],
  },
  {
    argv: ['resubmit', ID],
    path: 'retry',
    printed: `resubmit requested for ${ID}`,
    refusal: ['nothing_to_retry', 'no target failed or was rejected (1 auditing)'],
  },
  {
    argv: ['cancel', ID],
    path: 'cancel',
    printed: `cancel requested for ${ID}`,
    refusal: ['nothing_to_cancel', 'every target has settled (3 released)'],
  },
  {
    argv: ['cancel', ID, '--withdraw-audits'],
    path: 'cancel',
    body: { withdrawAudits: true },
    printed: `cancel requested for ${ID}; audits under review will be withdrawn`,
    refusal: ['nothing_to_cancel', 'every target has settled (1 rejected)'],
  },
  {
    argv: ['withdraw', ID],
    path: 'cancel',
    body: { withdrawAudits: true },
    printed: `cancel requested for ${ID}; audits under review will be withdrawn`,
    refusal: ['nothing_to_cancel', 'every target has settled (2 cancelled)'],
  },
  {
    argv: ['rollback', ID],
    path: 'rollback',
    printed: `rollback requested for ${ID}`,
    refusal: ['nothing_to_roll_back', 'no target is released or in a gray release (2 approved)'],
  },
  {
    argv: ['rollback', ID],
    path: 'rollback',
    printed: `rollback requested for ${ID}`,
    refusal: ['no_earlier_version', 'no earlier version to roll back to: WeChat keeps no version before 1.0.0 for wx1'],
  },
];

const argvOf = (c: ActionCase) => c.argv.map((arg) => (arg === 'AUDIT_ITEMS_FILE' ? file('audit-items.json', JSON.stringify(AUDIT_ITEMS)) : arg));

describe('deployment actions: the request each command sends', () => {
  it.each(ACTIONS.map((c) => [c.argv.join(' '), c] as const))('%s', async (_name, c) => {
    const result = await cli(argvOf(c));
    expect(received).toEqual([
      {
        method: 'POST',
        path: `/api/deployments/${ID}/${c.path}`,
        body: c.body,
        contentType: c.body === undefined ? undefined : 'application/json',
        authorization: `Bearer ${TOKEN}`,
      },
    ]);
    // 202: one line saying what was asked, exit 0.
    expect(result).toEqual({ code: 0, stdout: `${c.printed}\n`, stderr: '' });
  });
});

describe('deployment actions: a 409 prints the API\'s reason and exits 1', () => {
  it.each(ACTIONS.map((c) => [`${c.argv.join(' ')} → ${c.refusal[0]}`, c] as const))('%s', async (_name, c) => {
    answer = conflict(...c.refusal);
    const result = await cli(argvOf(c));
    expect(received).toHaveLength(1);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `error: ${c.refusal[0]}: ${c.refusal[1]}\n` });
  });
});

describe('deployment actions: --json and the deployment id', () => {
  it('--json prints the API\'s 202 answer', async () => {
    const result = await cli(['withdraw', ID, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: ID, action: 'cancel' });
  });

  it('the id is sent as one path segment', async () => {
    answer = () => ({ status: 404, body: { error: { code: 'deployment_not_found', message: 'no deployment d-x/../y' } } });
    const result = await cli(['rollback', 'd-x/../y']);
    expect(received[0]!.path).toBe('/api/deployments/d-x%2F..%2Fy/rollback');
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'error: deployment_not_found: no deployment d-x/../y\n' });
  });
});

describe('deployment actions: what the CLI refuses before sending (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [['release', ID, '--gray', '0'], /--gray <percent>.*'0' is invalid\. must be a whole percentage from 1 to 100/],
    [['release', ID, '--gray', '101'], /whole percentage from 1 to 100/],
    [['release', ID, '--gray', '12.5'], /whole percentage from 1 to 100/],
    [['release', ID, '--gray', '-5'], /'-5' is invalid\. must be a whole percentage from 1 to 100/],
    [['release', ID, '--gray', 'half'], /whole percentage from 1 to 100/],
    [['release', ID, '--gray'], /argument missing/],
    [['release'], /missing required argument 'id'/],
    [['revert-gray', ID, '--gray', '20'], /unknown option '--gray'/],
    [['retry', ID, '--feedback', '  '], /--feedback <text>.* must not be empty/],
    [['resubmit', ID, '--feedback', 'x'.repeat(1001)], /at most 1000 characters/],
    [['retry', ID, '--audit-items', path.join(tmpdir(), 'mpfleet-no-such-file.json')], /cannot read the audit items from .*ENOENT/],
    [['withdraw', ID, '--withdraw-audits'], /unknown option '--withdraw-audits'/],
    [['rollback', ID, 'extra'], /too many arguments/],
  ];
  it.each(cases.map(([argv, message]) => [argv.join(' ').slice(0, 60), argv, message] as const))('%s', async (_name, argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr).toMatch(message);
    expect(received).toEqual([]);
  });

  it('an audit-items file must be a JSON array of 1 to 5 objects of strings and numbers', async () => {
    const bad: [string, RegExp][] = [
      ['{"address": "pages/index/index"', /the audit items in .* is not JSON/],
      ['{"address": "pages/index/index"}', /must be a JSON array of 1 to 5 objects/],
      ['[]', /must be a JSON array of 1 to 5 objects/],
      [JSON.stringify(Array.from({ length: 6 }, () => AUDIT_ITEMS[0])), /must be a JSON array of 1 to 5 objects/],
      ['[{"address": "pages/index/index", "tag": ["a"]}]', /audit item 1 in .* must be an object of strings and numbers/],
      ['[{"address": "a"}, "pages/b"]', /audit item 2 in .* must be an object of strings and numbers/],
    ];
    for (const [content, message] of bad) {
      const result = await cli(['resubmit', ID, '--audit-items', file('bad-items.json', content)]);
      expect(result.code, content).toBe(2);
      expect(result.stderr, content).toMatch(message);
    }
    expect(received).toEqual([]);
  });

  it('--audit-items - reads stdin', async () => {
    const result = await cli(['retry', ID, '--audit-items', '-'], { stdin: JSON.stringify(AUDIT_ITEMS) });
    expect(result.code).toBe(0);
    expect(received[0]!.body).toEqual({ auditItems: AUDIT_ITEMS });
  });
});

describe('deploy --supersede', () => {
  const deploy = ['deploy', '--template', '1', '--version', '2.0.0', '--desc', 'take over', '--tenants', 'wx1,wx2'];

  it('asks the API to take tenants over instead of waiting; without it nothing is said', async () => {
    const ready = { tenants: [], counts: { ready: 2, blocked: 0, skipped: 0 }, quota: { rest: 10, limit: 20, planned: 2 } };
    answer = (request) => (request.path === '/api/deployments/preflight' ? { status: 200, body: ready } : { status: 202, body: { id: ID } });
    const preflight = 'preflight: 2 ready, 0 blocked, 0 skipped (not active)\naudit quota: 10 of 20 left, this deployment needs 2\n';
    expect(await cli([...deploy, '--supersede'])).toEqual({ code: 0, stdout: `${ID}\n`, stderr: preflight });
    expect(await cli(deploy)).toEqual({ code: 0, stdout: `${ID}\n`, stderr: preflight });
    expect(received.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/api/deployments/preflight'],
      ['POST', '/api/deployments'],
      ['POST', '/api/deployments/preflight'],
      ['POST', '/api/deployments'],
    ]);
    const base = { templateId: 1, userVersion: '2.0.0', userDesc: 'take over', tenants: ['wx1', 'wx2'], release: 'auto', submitAudit: true };
    // The preflight gets the very body the deployment is created with.
    expect(received[0]!.body).toEqual({ ...base, supersede: true });
    expect(received[1]!.body).toEqual({ ...base, supersede: true });
    expect(received[3]!.body).toEqual(base);
  });

  it('an error from the API exits 1 with its message', async () => {
    answer = () => ({ status: 400, body: { error: { code: 'invalid_request', message: 'supersede: expected boolean' } } });
    expect(await cli([...deploy, '--supersede'])).toEqual({ code: 1, stdout: '', stderr: 'error: invalid_request: supersede: expected boolean\n' });
  });
});

describe('status: the new states and fields', () => {
  const view = (over: Partial<DeploymentView>): DeploymentView => ({
    id: ID,
    status: 'running',
    templateId: 1,
    userVersion: '4.2.0',
    userDesc: 'manual',
    submitAudit: true,
    release: 'manual',
    counts: {},
    total: 0,
    createdAt: '2026-11-30T17:53:54.010Z',
    updatedAt: '2026-11-30T17:53:54.696Z',
    targets: [],
    ...over,
  });
  const target = (appid: string, state: DeploymentView['targets'][number]['state'], over: Partial<DeploymentView['targets'][number]> = {}) => ({
    appid,
    state,
    attempts: 0,
    updatedAt: '2026-11-30T17:53:54.761Z',
    ...over,
  });

  it('a gray release: its share per target and on the deployment, with what can follow', async () => {
    answer = () => ({
      status: 200,
      body: view({
        status: 'completed',
        grayPercentage: 20,
        counts: { released: 1, gray: 2, reverting_gray: 1 },
        total: 4,
        targets: [target('wx1', 'gray', { auditId: 41, grayPercentage: 20 }), target('wx2', 'gray', { auditId: 42, grayPercentage: 20 }), target('wx3', 'reverting_gray'), target('wx4', 'released', { auditId: 44 })],
      }),
    });
    const { code, stdout } = await cli(['status', ID]);
    expect(code).toBe(0);
    expect(received.map((r) => [r.method, r.path])).toEqual([['GET', `/api/deployments/${ID}`]]);
    expect(stdout).toBe(
      [
        `deployment ${ID}  completed  template 1  version 4.2.0  4 targets`,
        'gray release: 20% of users (widen: release --gray <more than 20>; complete: release without --gray; undo: revert-gray)',
        '  gray            2',
        '  reverting_gray  1',
        '  released        1',
        '',
        'APPID  STATE           DETAIL        AUDIT  ERROR',
        'wx1    gray            20% of users  41     -',
        'wx2    gray            20% of users  42     -',
        'wx3    reverting_gray  -             -      -',
        'wx4    released        -             44     -',
        '',
      ].join('\n'),
    );
  });

  it('waiting targets say which deployment holds their tenant; a pending action shows, and says when it can be issued again', async () => {
    answer = () => ({
      status: 200,
      body: view({
        pendingAction: { action: 'release', since: '2026-11-30T17:00:00.000Z', expired: false },
        counts: { waiting: 1, withdrawing: 1, approved: 1 },
        total: 3,
        targets: [target('wx1', 'waiting', { waitingFor: 'd-mx3kgoan-41d79303' }), target('wx2', 'withdrawing', { auditId: 42 }), target('wx3', 'approved', { auditId: 43 })],
      }),
    });
    const running = (await cli(['status', ID])).stdout;
    expect(running).toContain('\npending: release requested 2026-11-30T17:00:00.000Z, being applied\n');
    expect(running).toMatch(/^ {2}waiting {6}1\n {2}withdrawing {2}1\n {2}approved {5}1$/m);
    expect(running).toMatch(/^wx1\s+waiting\s+waits for d-mx3kgoan-41d79303\s+-\s+-$/m);
    expect(running).toMatch(/^wx2\s+withdrawing\s+-\s+42\s+-$/m);

    answer = () => ({ status: 200, body: view({ status: 'completed', pendingAction: { action: 'revert-gray', since: '2026-11-30T17:00:00.000Z', expired: true } }) });
    expect((await cli(['status', ID])).stdout).toContain(
      `\npending: revert-gray requested 2026-11-30T17:00:00.000Z never finished (expired): it can be issued again (mpfleet revert-gray ${ID})\n`,
    );
  });

  it('a rollback shows the version each target goes back to; a cancelled deployment the audit results it kept', async () => {
    answer = () => ({
      status: 200,
      body: view({
        rolledBack: true,
        counts: { rolling_back: 1, rolled_back: 1 },
        total: 2,
        targets: [target('wx1', 'rolling_back', { rollbackTo: '4.0.0' }), target('wx2', 'rolled_back', { rollbackTo: '4.0.0' })],
      }),
    });
    const rolling = (await cli(['status', ID])).stdout;
    expect(rolling).toContain('\nrollback requested: released and gray targets go back to their previous version\n');
    expect(rolling).toMatch(/^wx1\s+rolling_back\s+rollback to 4\.0\.0\s+-\s+-$/m);
    expect(rolling).toMatch(/^wx2\s+rolled_back\s+rollback to 4\.0\.0\s+-\s+-$/m);

    answer = () => ({
      status: 200,
      body: view({
        cancelled: true,
        counts: { auditing: 1, cancelled: 2 },
        total: 3,
        targets: [
          target('wx1', 'auditing', { auditId: 41 }),
          target('wx2', 'cancelled', { auditId: 42, auditOutcome: 'approved' }),
          target('wx3', 'cancelled', { auditId: 43, auditOutcome: 'withdrawn' }),
        ],
      }),
    });
    const cancelling = (await cli(['status', ID])).stdout;
    expect(cancelling).toContain('\ncancel requested: targets under audit end cancelled once WeChat decides (or are withdrawn, if asked)\n');
    expect(cancelling).toMatch(/^wx2\s+cancelled\s+audit approved\s+42\s+-$/m);
    expect(cancelling).toMatch(/^wx3\s+cancelled\s+audit withdrawn\s+43\s+-$/m);

    // Once settled, the status itself says cancelled.
    answer = () => ({ status: 200, body: view({ status: 'cancelled', cancelled: true, counts: { cancelled: 1 }, total: 1, targets: [target('wx1', 'cancelled')] }) });
    const settled = (await cli(['status', ID])).stdout;
    expect(settled).not.toContain('cancel requested');
    expect(settled).toMatch(/^APPID\s+STATE\s+AUDIT\s+ERROR$/m); // no DETAIL column when no target has one
  });

  it('--json prints the API\'s view unchanged', async () => {
    const body = view({ grayPercentage: 20, counts: { gray: 1 }, total: 1, targets: [target('wx1', 'gray', { grayPercentage: 20 })] });
    answer = () => ({ status: 200, body });
    expect(JSON.parse((await cli(['status', ID, '--json'])).stdout)).toEqual(body);
  });
});
