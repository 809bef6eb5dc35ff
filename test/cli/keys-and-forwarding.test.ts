/**
 * Issue #16 from the operator's terminal: `mpfleet keys` (service keys for template backends: the
 * secret printed once and never listed, a revoked secret refused at once) and `mpfleet tenants
 * forward` / `forwarding` (where a tenant's messages go, how they are signed, how their deliveries
 * fare), against the local stack, in process as the other CLI tests run it and once through the
 * built bundle. Usage mistakes exit 2 before any request, so nothing is created.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardingSettings, ForwardingStatus, ServiceKeyCreated, ServiceKeyList } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { authorizeTenants, startTestStack, type TestStack } from '../support/stack';
import { runCli, type RunOptions } from './run-cli';

let t: TestStack;
let tenantA: string;
let tenantB: string;

/** The CLI configured as an operator would: MPFLEET_URL and MPFLEET_TOKEN from `npm start`. */
const cli = (argv: string[], options: RunOptions = {}) =>
  runCli(argv, { ...options, env: { MPFLEET_URL: t.stack.url, MPFLEET_TOKEN: t.stack.operatorToken, ...options.env } });

/** The keys as the API lists them. */
const listedKeys = async () => ((await (await t.operator('/api/service-keys')).json()) as ServiceKeyList).keys;

/** GET /runtime/{appid}/access-token as a template's backend calls it, with a service key secret. */
const accessToken = (appid: string, secret: string) => t.api(`/runtime/${appid}/access-token`, { headers: { authorization: `Bearer ${secret}` } });

/** Every item of the table that belongs to forwarding: settings and deliveries. */
const forwardingItems = async () => (await t.snapshot()).filter((item) => /^(FORWARDING|FWD)#/.test(String(item.pk)));

beforeAll(async () => {
  t = await startTestStack({ emulator: { miniPrograms: 3 } });
  [tenantA, tenantB] = (await authorizeTenants(t, 2)) as [string, string];
}, 60_000);
afterAll(() => t?.close());

describe('mpfleet keys', () => {
  it('create prints the secret once, list shows the key without it, the secret works until revoke, then 401', async () => {
    const created = await cli(['keys', 'create', '--name', 'shop backend', '--tenants', tenantA, '--scopes', 'token,login']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = /^created service key ([a-z0-9]{12}) \(shop backend\)$/m.exec(created.stdout)?.[1];
    expect(id, created.stdout).toBeDefined();
    const secret = /^ {2}secret {3}(mpk_\S+)$/m.exec(created.stdout)?.[1];
    expect(secret, created.stdout).toBeDefined();
    expect(created.stdout).toMatch(new RegExp(`^ {2}tenants {2}${tenantA}$`, 'm'));
    expect(created.stdout).toMatch(/^ {2}scopes {3}token, login$/m);
    expect(created.stdout).toMatch(/^This secret will not be shown again: store it now/m);
    expect(created.stdout.split(secret!)).toHaveLength(2); // printed once

    const list = await cli(['keys', 'list']);
    expect(list.code).toBe(0);
    const [header, ...rows] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+TENANTS\s+SCOPES\s+CREATED$/);
    expect(rows.find((row) => row.startsWith(id!))).toMatch(new RegExp(`^${id}\\s+shop backend\\s+${tenantA}\\s+token,login\\s+\\d{4}-\\d\\d-\\d\\dT`));
    expect(list.stdout).not.toContain(secret);
    expect(list.stdout).not.toContain('mpk_');
    const listJson = await cli(['keys', 'list', '--json']);
    expect(JSON.parse(listJson.stdout)).toEqual({ keys: expect.arrayContaining([expect.objectContaining({ id, name: 'shop backend', tenants: [tenantA] })]) });
    expect(listJson.stdout).not.toContain('mpk_');

    // The backend's view: the secret reads its tenant's access token, and only its tenant's.
    expect((await accessToken(tenantA, secret!)).status).toBe(200);
    expect((await accessToken(tenantB, secret!)).status).toBe(403);

    const revoked = await cli(['keys', 'revoke', id!]);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toMatch(new RegExp(`^revoked service key ${id}`));
    expect((await accessToken(tenantA, secret!)).status).toBe(401);
    expect((await listedKeys()).map((key) => key.id)).not.toContain(id);

    // Revoking it again: the API's 404, exit 1 like any API error.
    const again = await cli(['keys', 'revoke', id!]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^error: service_key_not_found: .+\n$/);
  });

  it('--json prints the raw 201 answer, secret included; `*` covers every tenant', async () => {
    const created = await cli(['keys', 'create', '--name', 'fleet', '--tenants', '*', '--scopes', 'token', '--json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const key = JSON.parse(created.stdout) as ServiceKeyCreated;
    expect(key).toEqual({ id: expect.stringMatching(/^[a-z0-9]{12}$/), name: 'fleet', tenants: '*', scopes: ['token'], createdAt: expect.any(String), secret: expect.stringMatching(/^mpk_/) });
    for (const appid of [tenantA, tenantB]) expect((await accessToken(appid, key.secret)).status).toBe(200);
    const list = await cli(['keys', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^${key.id}\\s+fleet\\s+\\*\\s+token\\s`, 'm'));

    const revoked = await cli(['keys', 'revoke', key.id, '--json']);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: key.id });
    expect((await accessToken(tenantA, key.secret)).status).toBe(401);
  });

  it('usage mistakes exit 2 before any request: nothing is created', async () => {
    const before = await t.snapshot();
    const usage: [string[], RegExp][] = [
      [['--name', 'x', '--tenants', 'wx123', '--scopes', 'login'], /"wx123" is not an appid/],
      [['--name', 'x', '--tenants', `${tenantA},WX0123456789ABCDEF`, '--scopes', 'login'], /"WX0123456789ABCDEF" is not an appid/],
      [['--name', 'x', '--tenants', `${tenantA},*`, '--scopes', 'login'], /\* means every tenant/],
      [['--name', 'x', '--tenants', ',', '--scopes', 'login'], /comma-separated appids/],
      [['--name', 'x', '--tenants', tenantA, '--scopes', 'login,deploy'], /unknown scope "deploy"/],
      [['--name', 'x', '--tenants', tenantA, '--scopes', ''], /at least one scope/],
      [['--name', '', '--tenants', tenantA, '--scopes', 'login'], /--name .* must not be empty/],
      [['--name', '   ', '--tenants', tenantA, '--scopes', 'login'], /must not be empty/],
      [['--name', 'x'.repeat(65), '--tenants', tenantA, '--scopes', 'login'], /at most 64 characters/],
      [['--tenants', tenantA, '--scopes', 'login'], /required option '--name <name>'/],
      [['--name', 'x', '--scopes', 'login'], /required option '--tenants <appids>'/],
      [['--name', 'x', '--tenants', tenantA], /required option '--scopes <scopes>'/],
    ];
    for (const [argv, message] of usage) {
      const result = await cli(['keys', 'create', ...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stdout, argv.join(' ')).toBe('');
      expect(result.stderr, argv.join(' ')).toMatch(/^error: /);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('an empty list says how to make a key', async () => {
    for (const key of await listedKeys()) await cli(['keys', 'revoke', key.id]);
    const list = await cli(['keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^no service keys: `mpfleet keys create/);
  });
});

describe('mpfleet tenants forward / forwarding', () => {
  /** A receiver of forwarded messages on an ephemeral port, answering `status`, recording what it got. */
  let receiver: Server;
  let receiverUrl: string;
  let receiverStatus = 200;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(receiverStatus, { 'content-type': 'text/plain' }).end(receiverStatus < 300 ? 'ok' : 'receiver down');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/wechat`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver?.close(() => resolve())));

  /** A user's text message to the tenant, pushed as WeChat would: mpfleet does not consume it, so it is forwarded. */
  async function pushText(appid: string, msgId: string): Promise<void> {
    const userName = (await services().tenants.get(appid))!.userName!;
    const push = { ToUserName: userName, FromUserName: 'o-cli-user', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'text', Content: 'hello', MsgId: msgId };
    expect(await (await t.push(`/wechat/callback/${appid}`, push, { ToUserName: userName })).text()).toBe('success');
  }

  const status = async (appid: string) => JSON.parse((await cli(['tenants', 'forwarding', appid, '--json'])).stdout) as ForwardingStatus;

  it('forward sets the URL and prints it with the signing secret; forwarding shows it in effect; --off removes it', async () => {
    const set = await cli(['tenants', 'forward', tenantA, receiverUrl]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(new RegExp(`^ {2}url {13}${receiverUrl}$`, 'm'));
    const secret = /^ {2}signing secret {2}(\S+)$/m.exec(set.stdout)?.[1];
    expect(secret, set.stdout).toBeDefined();

    const shown = await cli(['tenants', 'forwarding', tenantA]);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(new RegExp(`^${tenantA}: forwarded to ${receiverUrl} \\(the tenant's own URL, set \\d{4}-`));
    expect(shown.stdout).toMatch(/^deliveries: pending \d+, retrying \d+, delivered \d+, dead \d+$/m);
    expect(shown.stdout).not.toContain(secret);
    expect(await status(tenantA)).toMatchObject({ appid: tenantA, forwarding: { url: receiverUrl, source: 'tenant' } });

    // Setting it again keeps the secret; --rotate-secret makes a new one; --json is the API's answer.
    const again = JSON.parse((await cli(['tenants', 'forward', tenantA, receiverUrl, '--json'])).stdout) as ForwardingSettings;
    expect(again).toMatchObject({ url: receiverUrl, signingSecret: secret, appid: tenantA });
    const rotated = await cli(['tenants', 'forward', tenantA, receiverUrl, '--rotate-secret']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/signing secret {2}\S+ {2}\(new: the old one is no longer used\)/);
    expect(rotated.stdout).not.toContain(secret);

    const off = await cli(['tenants', 'forward', tenantA, '--off']);
    expect(off).toMatchObject({ code: 0, stderr: '' });
    expect(off.stdout).toMatch(new RegExp(`^${tenantA}: its forward URL is removed`));
    expect((await status(tenantA)).forwarding).toBeNull();
    expect((await cli(['tenants', 'forwarding', tenantA])).stdout).toMatch(new RegExp(`^${tenantA}: not forwarded`));

    // Nothing left to remove: the API's 404, exit 1.
    const offAgain = await cli(['tenants', 'forward', tenantA, '--off']);
    expect(offAgain.code).toBe(1);
    expect(offAgain.stderr).toMatch(/^error: \w+: .+\n$/);
  });

  it('--default sets the platform default, which a tenant without its own URL uses; --default --off removes it', async () => {
    const set = await cli(['tenants', 'forward', '--default', receiverUrl]);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(new RegExp(`^the platform default: messages and events are forwarded to ${receiverUrl}`));
    expect((await status(tenantB)).forwarding).toMatchObject({ url: receiverUrl, source: 'platform' });
    expect((await cli(['tenants', 'forwarding', tenantB])).stdout).toMatch(new RegExp(`^${tenantB}: forwarded to ${receiverUrl} \\(the platform default,`));

    // A tenant's own URL wins over the default, and removing it falls back to the default.
    await cli(['tenants', 'forward', tenantB, `${receiverUrl}/own`]);
    expect((await status(tenantB)).forwarding).toMatchObject({ url: `${receiverUrl}/own`, source: 'tenant' });
    expect((await cli(['tenants', 'forward', tenantB, '--off'])).code).toBe(0);
    expect((await status(tenantB)).forwarding).toMatchObject({ url: receiverUrl, source: 'platform' });

    const off = await cli(['tenants', 'forward', '--default', '--off']);
    expect(off).toMatchObject({ code: 0, stderr: '' });
    expect(off.stdout).toMatch(/^the platform default forward URL is removed/);
    expect((await status(tenantB)).forwarding).toBeNull();
  });

  it('forwarding lists the deliveries of forwarded messages; --status filters; --redrive says how many went again', async () => {
    expect((await cli(['tenants', 'forward', tenantA, receiverUrl])).code).toBe(0);
    const msgId = String(Date.now());
    await pushText(tenantA, msgId);
    await t.until(async () => (await status(tenantA)).deliveries.find((d) => d.id === msgId && d.status === 'delivered'));
    expect(received.some((r) => r.headers['x-mpfleet-id'] === msgId)).toBe(true);

    const shown = await cli(['tenants', 'forwarding', tenantA]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^ID\s+TYPE\s+STATUS\s+ATTEMPTS\s+CREATED\s+LAST ERROR$/m);
    expect(shown.stdout).toMatch(new RegExp(`^${msgId}\\s+text\\s+delivered\\s+1\\s+\\d{4}-\\S+\\s+-$`, 'm'));
    expect(shown.stdout).toMatch(/^deliveries: pending 0, retrying 0, delivered [1-9]\d*, dead 0$/m);

    expect((await cli(['tenants', 'forwarding', tenantA, '--status', 'dead'])).stdout).toMatch(/^no dead deliveries$/m);
    expect((await cli(['tenants', 'forwarding', tenantA, '--status', 'delivered'])).stdout).toContain(msgId);

    const redrive = await cli(['tenants', 'forwarding', tenantA, '--redrive']);
    expect(redrive).toMatchObject({ code: 0, stderr: '' });
    expect(redrive.stdout).toMatch(/^0 deliveries queued again\n/);
    const redriveJson = await cli(['tenants', 'forwarding', tenantA, '--redrive', '--json']);
    expect(redriveJson.stderr).toBe('0 deliveries queued again\n');
    expect(JSON.parse(redriveJson.stdout)).toMatchObject({ appid: tenantA, forwarding: { url: receiverUrl } });
  });

  it('a receiver that stays down makes a delivery dead, with its error; --redrive sends it again once it is back', async () => {
    // The forwarder reads its retry policy from the environment at each delivery: give up within seconds.
    const saved = { base: process.env.FORWARD_RETRY_BASE_SECONDS, giveUp: process.env.FORWARD_GIVE_UP_SECONDS };
    Object.assign(process.env, { FORWARD_RETRY_BASE_SECONDS: '1', FORWARD_GIVE_UP_SECONDS: '2' });
    try {
      expect((await cli(['tenants', 'forward', tenantA, receiverUrl])).code).toBe(0);
      receiverStatus = 503;
      const msgId = String(Date.now() + 1);
      await pushText(tenantA, msgId);
      await t.until(async () => (await status(tenantA)).deliveries.find((d) => d.id === msgId && d.status === 'dead'), 20_000);

      const dead = await cli(['tenants', 'forwarding', tenantA, '--status', 'dead']);
      expect(dead).toMatchObject({ code: 0, stderr: '' });
      expect(dead.stdout).toMatch(new RegExp(`^${msgId}\\s+text\\s+dead\\s+[1-9]\\d*\\s+\\S+\\s+.*\\b503\\b.*$`, 'm'));
      expect(dead.stdout).toMatch(/^deliveries: .*dead [1-9]\d*$/m);
      expect(dead.stdout).toContain(`mpfleet tenants forwarding ${tenantA} --redrive`);

      receiverStatus = 200;
      const redrive = await cli(['tenants', 'forwarding', tenantA, '--redrive']);
      expect(redrive).toMatchObject({ code: 0, stderr: '' });
      expect(redrive.stdout).toMatch(/^1 delivery queued again\n/);
      await t.until(async () => (await status(tenantA)).deliveries.find((d) => d.id === msgId && d.status === 'delivered'), 20_000);
      expect((await cli(['tenants', 'forwarding', tenantA])).stdout).toMatch(/^deliveries: pending 0, retrying 0, delivered \d+, dead 0$/m);
    } finally {
      receiverStatus = 200;
      for (const [name, value] of [['FORWARD_RETRY_BASE_SECONDS', saved.base], ['FORWARD_GIVE_UP_SECONDS', saved.giveUp]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('usage mistakes exit 2 before any request: nothing is set or removed', async () => {
    const before = await forwardingItems();
    const usage: [string[], RegExp][] = [
      [['forward', receiverUrl], /is not an appid .*--default <url>/],
      [['forward', 'wx123', receiverUrl], /"wx123" is not an appid/],
      [['forward', tenantA], /missing the URL/],
      [['forward'], /name the tenant .* or pass --default/],
      [['forward', tenantA, 'ftp://example.com/x'], /must be an http\(s\) URL/],
      [['forward', tenantA, 'not a url'], /must be an http\(s\) URL/],
      [['forward', tenantA, 'https://user:pw@example.com/x'], /must not carry credentials/],
      [['forward', tenantA, receiverUrl, '--off'], /--off removes .*give no URL/],
      [['forward', '--default', '--off', '--rotate-secret'], /--rotate-secret does not go with it/],
      [['forward', '--default', tenantA, receiverUrl], /too many arguments/],
      [['forwarding', 'nope'], /"nope" is not an appid/],
      [['forwarding', tenantA, '--status', 'gone'], /Allowed choices are pending, retrying, delivered, dead/],
    ];
    for (const [argv, message] of usage) {
      const result = await cli(['tenants', ...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stdout, argv.join(' ')).toBe('');
      expect(result.stderr, argv.join(' ')).toMatch(/^error: /);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
    expect(await forwardingItems()).toEqual(before);
  });

  it('the tenants listing keeps its own --status next to forwarding\'s', async () => {
    const revoked = await cli(['tenants', '--status', 'revoked', '--json']);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ tenants: [] });
    expect((await cli(['tenants', '--status', 'dead'])).code).toBe(2);
    expect((await cli(['tenants', 'forwarding', tenantA, '--status', 'dead'])).code).toBe(0);
  });
});

describe('the built mpfleet bin', () => {
  const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const exec = promisify(execFile);
  let dir: string;
  let bin: string;

  // A private bundle, as test/cli/bin.test.ts makes: the shared cli/dist is left to `npm ci` and `npm run cli`.
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mpfleet-bin-'));
    bin = path.join(dir, 'mpfleet.mjs');
    await exec(process.execPath, [path.join(ROOT, 'cli', 'build.mjs'), '--outfile', bin], { cwd: ROOT });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const mpfleet = (...argv: string[]) =>
    exec(process.execPath, [bin, ...argv], { cwd: dir, env: { PATH: process.env.PATH ?? '', MPFLEET_URL: t.stack.url, MPFLEET_TOKEN: t.stack.operatorToken } });

  it('carries the keys and forwarding commands: create, list, revoke; forwarding; a usage error exits 2', async () => {
    const key = JSON.parse((await mpfleet('keys', 'create', '--name', 'from the bin', '--tenants', tenantB, '--scopes', 'token', '--json')).stdout) as ServiceKeyCreated;
    expect((await accessToken(tenantB, key.secret)).status).toBe(200);
    const list = await mpfleet('keys', 'list');
    expect(list.stdout).toMatch(new RegExp(`^${key.id}\\s+from the bin\\s+${tenantB}\\s+token\\s`, 'm'));
    expect(list.stdout).not.toContain(key.secret);
    expect((await mpfleet('keys', 'revoke', key.id)).stdout).toMatch(/^revoked service key/);
    expect((await accessToken(tenantB, key.secret)).status).toBe(401);

    expect((await mpfleet('tenants', 'forwarding', tenantB)).stdout).toMatch(new RegExp(`^${tenantB}: `));
    const usage = await mpfleet('keys', 'create', '--name', 'x', '--tenants', tenantB, '--scopes', 'admin').catch((error: unknown) => error);
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown scope "admin"') });
  });
});
