/**
 * The release-gate output against a fake operator API, for what the emulator's fleet does not
 * show: several blockers on one tenant (`+N`), a tenant never checked, an ICP rejection with its
 * reasons, a check WeChat did not answer, an unread quota, a deployment paused on the audit quota,
 * and nickNames, messages and fixes carrying terminal escape sequences.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deploymentNotes } from '../../cli/format';
import { readinessCell } from '../../cli/gates';
import type { Blocker, DeploymentView, PreflightResult, Readiness, TenantView } from '../../shared/contract/operator-api';
import { runCli, type RunOptions } from './run-cli';

interface Answer {
  status: number;
  body: unknown;
}

let server: Server;
let url: string;
let requests: { method: string; path: string; body: unknown }[] = [];
let route: (method: string, path: string) => Answer;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      requests.push({ method: req.method!, path: req.url!, body: text === '' ? undefined : JSON.parse(text) });
      const { status, body } = route(req.method!, req.url!);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server?.close(resolve)));
beforeEach(() => {
  requests = [];
});

const cli = (argv: string[], options: RunOptions = {}) => runCli(argv, { ...options, env: { MPFLEET_URL: url, MPFLEET_TOKEN: 'fake', ...options.env } });
const ok = (body: unknown): Answer => ({ status: 200, body });

const hostile = '\x1b]0;pwned\x07\x1b[2J示例\x9b2J\x07小店';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

const blocker = (code: Blocker['code'], message = `${code} message`): Blocker => ({ code, message, fix: `fix for ${code}` });

const readiness = (over: Partial<Readiness> = {}): Readiness => ({
  ready: true,
  checkedAtMs: Date.parse('2026-11-30T12:00:00.000Z'),
  blockers: [],
  icp: { state: 'filed', status: 6 },
  privacy: { configured: true, keys: ['Location'], grantedApis: ['wx.getLocation'] },
  basicInfo: { nickName: '小店', complete: true, missing: [] },
  categories: [{ first: '工具', second: '效率', firstId: 1, secondId: 2 }],
  quota: { rest: 3, limit: 20 },
  ...over,
});

const tenant = (appid: string, over: Partial<TenantView> = {}): TenantView => ({
  appid,
  nickName: '小店',
  headImg: null,
  principalName: null,
  userName: null,
  status: 'active',
  permissions: [],
  categories: [],
  config: {},
  releasedVersion: null,
  lastDeployment: null,
  authorizedAt: '2026-11-30T00:00:00.000Z',
  updatedAt: '2026-11-30T00:00:00.000Z',
  ...over,
});

describe('tenants: the READINESS column', () => {
  it('ready, the first blocker with +N for the others, or unchecked; --not-ready asks the server', async () => {
    const several = readiness({ ready: false, blockers: [blocker('icp_in_review'), blocker('privacy_not_configured'), blocker('category_missing')] });
    route = () =>
      ok({
        tenants: [
          tenant('wx0000000000000001', { readiness: readiness() }),
          tenant('wx0000000000000002', { readiness: several }),
          tenant('wx0000000000000003'),
        ],
      });
    const { code, stdout } = await cli(['tenants', '--not-ready']);
    expect(code).toBe(0);
    expect(requests.map((r) => r.path)).toEqual(['/api/tenants?ready=false']);
    expect(stdout).toMatch(/^wx0000000000000001\s+小店\s+active\s+ready\s/m);
    expect(stdout).toMatch(/^wx0000000000000002\s+小店\s+active\s+icp_in_review \+2\s/m);
    expect(stdout).toMatch(/^wx0000000000000003\s+小店\s+active\s+unchecked\s/m);
    await cli(['tenants', '--ready', '--all', '--status', 'active']);
    expect(requests.at(-1)!.path).toBe('/api/tenants?limit=500&status=active&ready=true');
    expect(readinessCell({})).toBe('unchecked');
  });
});

describe('readiness', () => {
  it('an ICP rejection with its reasons, a check WeChat did not answer, an unread quota; exit 5', async () => {
    const rejected = readiness({
      ready: false,
      blockers: [blocker('icp_rejected', 'the ICP filing was rejected (status 5)'), blocker('category_missing')],
      icp: { state: 'rejected', status: 5, rejections: [{ field: 'icp_subject.base_info.name', error: '名称不符', suggest: '按营业执照填写' }] },
      privacy: { configured: false, keys: [], grantedApis: [] },
      basicInfo: { complete: false, missing: ['avatar', 'introduction'] },
      categories: [],
      unavailable: [{ check: 'privacy_interfaces', code: 61007, message: 'api unauthorized' }],
    });
    delete rejected.quota;
    route = () => ok(tenant('wx0000000000000001', { readiness: rejected }));
    const { code, stdout } = await cli(['readiness', 'wx0000000000000001']);
    expect(code).toBe(5);
    expect(stdout).toBe(
      [
        'wx0000000000000001 (小店): blocked (2 blockers), checked 2026-11-30T12:00:00.000Z',
        '  ✗ ICP filing     rejected (status 5)',
        '      rejected: icp_subject.base_info.name: 名称不符 (suggestion: 按营业执照填写)',
        '  ✗ privacy guide  not set',
        '  - location APIs  none granted (needed only by code that calls them)',
        '  ✗ basic info     missing: avatar, introduction',
        '  ✗ categories     none',
        '  ? audit quota    not read',
        '  ? privacy_interfaces WeChat did not answer (61007: api unauthorized): unknown, not a blocker',
        '',
        'blockers:',
        '  icp_rejected: the ICP filing was rejected (status 5)',
        '    fix: fix for icp_rejected',
        '  category_missing: category_missing message',
        '    fix: fix for category_missing',
        '',
      ].join('\n'),
    );
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/tenants/wx0000000000000001']);
  });

  it('--refresh POSTs first; never checked says how to check, exit 5', async () => {
    route = () => ok(tenant('wx0000000000000001'));
    const result = await cli(['readiness', 'wx0000000000000001', '--refresh']);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/tenants/wx0000000000000001/readiness']);
    expect(result).toEqual({ code: 5, stdout: 'wx0000000000000001: readiness never checked; read it from WeChat with: mpfleet readiness wx0000000000000001 --refresh\n', stderr: '' });
  });
});

describe('preflight and deploy', () => {
  const result = (over: Partial<PreflightResult> = {}): PreflightResult => ({
    tenants: [
      { appid: 'wx0000000000000001', nickName: '小店', ready: true, blockers: [] },
      { appid: 'wx0000000000000002', nickName: null, ready: false, blockers: [blocker('icp_not_filed'), blocker('privacy_not_configured')] },
      { appid: 'wx0000000000000003', nickName: '三号店', ready: false, blockers: [blocker('icp_not_filed', 'another message')] },
    ],
    counts: { ready: 1, blocked: 2, skipped: 1 },
    quota: null,
    ...over,
  });

  it("one row per blocker, each fix once, the counts; a quota WeChat did not report says so; the body carries deploy's options", async () => {
    route = () => ok(result());
    const { code, stdout } = await cli(['preflight', '--template', '3', '--tenants', 'wx0000000000000001,wx0000000000000002', '--no-audit']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'APPID               NAME    BLOCKER                 MESSAGE',
        'wx0000000000000002  -       icp_not_filed           icp_not_filed message',
        'wx0000000000000002  -       privacy_not_configured  privacy_not_configured message',
        'wx0000000000000003  三号店  icp_not_filed           another message',
        '',
        'fixes:',
        '  icp_not_filed: fix for icp_not_filed',
        '  privacy_not_configured: fix for privacy_not_configured',
        '',
        '1 ready, 2 blocked, 1 skipped (not active)',
        "audit quota: unknown (WeChat's queryquota did not answer)",
        '',
      ].join('\n'),
    );
    expect(requests).toEqual([
      {
        method: 'POST',
        path: '/api/deployments/preflight',
        body: { templateId: 3, userVersion: '0.0.0', userDesc: 'preflight', tenants: ['wx0000000000000001', 'wx0000000000000002'], release: 'auto', submitAudit: false },
      },
    ]);
  });

  it('an API error exits 1, with the flag named', async () => {
    route = () => ({ status: 400, body: { error: { code: 'validation_failed', message: 'tenants.1: must be an appid' } } });
    expect(await cli(['preflight', '--template', '1', '--tenants', 'wx0000000000000001,nope'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: validation_failed: --tenants (appid 2 in the list): must be an appid\n',
    });
  });

  it('deploy --ext - cannot also read the answer from stdin: it needs --yes', async () => {
    route = () => ok(result());
    const refused = await cli(['deploy', '--template', '1', '--version', '1.0.0', '--desc', 'x', '--ext', '-'], { stdinTty: true, stdin: '{"ext":{}}' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/error: 2 tenants are blocked: pass --yes to deploy to the 1 ready tenant anyway \(nothing was created\)\n$/);
    expect(requests.map((r) => r.path)).toEqual(['/api/deployments/preflight']);
  });

  it('nothing the API sends reaches the terminal as a control sequence', async () => {
    const evil: Blocker = { code: 'icp_not_filed', message: `refused ${hostile}`, fix: `fix ${hostile}` };
    route = () => ok(result({ tenants: [{ appid: 'wx0000000000000002', nickName: hostile, ready: false, blockers: [evil] }], counts: { ready: 0, blocked: 1, skipped: 0 } }));
    const preflight = await cli(['preflight', '--template', '1']);
    expect(preflight.stdout).not.toMatch(CONTROL);
    expect(preflight.stdout).toContain('refused 示例2J小店');
    expect(preflight.stdout).toContain('fix 示例2J小店');
    const deploy = await cli(['deploy', '--template', '1', '--version', '1.0.0', '--desc', 'x'], { stdinTty: true, stdin: 'n\n' });
    expect(deploy.code).toBe(5);
    expect(deploy.stderr).not.toMatch(CONTROL);
    expect(deploy.stderr).toMatch(/^ {2}wx0000000000000002\s+示例2J小店\s+icp_not_filed$/m);

    route = () => ok(tenant('wx0000000000000002', { nickName: hostile, readiness: readiness({ ready: false, blockers: [evil] }) }));
    const ready = await cli(['readiness', 'wx0000000000000002']);
    expect(ready.stdout).not.toMatch(CONTROL);
    expect(ready.stdout).toContain('(示例2J小店)');
  });
});

describe('a deployment paused on the audit quota', () => {
  const paused = (left?: number): DeploymentView => ({
    id: 'd-1',
    status: 'paused',
    templateId: 1,
    userVersion: '1.0.0',
    userDesc: 'x',
    submitAudit: true,
    release: 'auto',
    pausedReason: 'WeChat refused further audit submissions this month (85085): quota',
    paused: { code: 'audit_quota_exhausted', needed: 3, ...(left === undefined ? {} : { left }) },
    counts: { auditing: 3, committed: 3 },
    total: 6,
    createdAt: '',
    updatedAt: '',
    targets: [],
  });

  it('says so with the numbers and the command that resumes it', async () => {
    expect(deploymentNotes(paused(0))).toEqual(['paused: audit quota used up (needed 3, left 0) — run `mpfleet retry d-1` when the quota is back']);
    expect(deploymentNotes(paused())).toEqual(['paused: audit quota used up (needed 3) — run `mpfleet retry d-1` when the quota is back']);
    expect(deploymentNotes({ ...paused(), paused: { code: 'something_else', needed: 0 } })).toEqual(['paused: WeChat refused further audit submissions this month (85085): quota']);
    route = () => ok(paused(0));
    const watched = await cli(['status', 'd-1', '--watch']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^paused: audit quota used up \(needed 3, left 0\) — run `mpfleet retry d-1` when the quota is back$/m);
  });

  it('blocked targets end a watch with exit 3, their blockers counted', async () => {
    const blocked = (appid: string, code: string) => ({ appid, state: 'blocked' as const, attempts: 0, updatedAt: '', error: { code, message: `${code}. Fix: it` } });
    route = () =>
      ok({
        ...paused(),
        status: 'completed',
        paused: undefined,
        pausedReason: undefined,
        counts: { released: 1, blocked: 3 },
        total: 4,
        targets: [blocked('wx01', 'icp_not_filed'), blocked('wx02', 'icp_not_filed'), blocked('wx03', 'category_missing')],
      });
    const watched = await cli(['status', 'd-1', '--watch']);
    expect(watched.code).toBe(3);
    expect(watched.stdout).toMatch(/^completed: released 1, blocked 3 \(4 targets\)$/m);
    expect(watched.stdout).toContain('3 targets failed, blocked or rejected:\n');
    expect(watched.stdout).toMatch(/^blocked by release gates: icp_not_filed \(2\), category_missing \(1\)$/m);
  });
});
