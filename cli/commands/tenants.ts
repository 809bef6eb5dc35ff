import { Option, type Command } from 'commander';
import type {
  DeliveryStatus,
  DeliveryView,
  ForwardingRequest,
  ForwardingSettings,
  ForwardingStatus,
  RedriveResult,
  TenantPage,
  TenantSyncResult,
  TenantView,
} from '../../shared/contract/operator-api';
import { UsageError, type CliContext } from '../context';
import { json, table } from '../format';
import { readinessCell } from '../gates';
import { APPID } from './keys';

/** The API's largest page: --all fetches the fleet in as few requests as possible. */
const ALL_PAGE_SIZE = 500;

export function registerTenants(program: Command, ctx: CliContext): void {
  const tenants = program
    .command('tenants')
    .description("list the mini-programs that authorized mpfleet, with their release readiness (subcommands: sync, forward, forwarding)");

  // The listing is the default subcommand (`tenants [--status s] …` runs it), so its filters are its
  // own: a parent's options would also take `tenants forwarding <appid> --status dead` for themselves.
  tenants
    .command('list', { isDefault: true })
    .description('list the tenants (the default: `mpfleet tenants [options]`)')
    .addOption(new Option('--status <status>', 'only tenants in this status').choices(['active', 'revoked', 'needs_reauth']))
    .addOption(new Option('--not-ready', "only tenants a release gate blocks (`mpfleet readiness <appid>` says why); tenants never checked are in neither list").conflicts('ready'))
    .addOption(new Option('--ready', 'only tenants WeChat would take a release of now').conflicts('notReady'))
    .option('--all', 'follow every page instead of showing the first one')
    .action(async (options: { status?: string; all?: boolean; ready?: boolean; notReady?: boolean }, command: Command) => {
      const client = ctx.client(command);
      const ready = options.ready ? 'true' : options.notReady ? 'false' : undefined;
      const query = { status: options.status, ready };
      const page: TenantPage = options.all
        ? { tenants: await client.all<TenantView>('/api/tenants', 'tenants', { limit: ALL_PAGE_SIZE, ...query }) }
        : await client.get<TenantPage>('/api/tenants', query);
      ctx.output(command, page, () => {
        const rows = page.tenants.map((t) => [t.appid, t.nickName, t.status, readinessCell(t), t.releasedVersion, t.lastDeployment]);
        const lines = [table(['APPID', 'NAME', 'STATUS', 'READINESS', 'RELEASED', 'LAST DEPLOYMENT'], rows)];
        if (page.nextToken) lines.push('… more tenants: add --all to list every page');
        return lines.join('\n');
      });
    });

  tenants
    .command('sync')
    .description("recover every authorization WeChat still has and mpfleet lost (compares WeChat's authorizer list with the tenants)")
    .action(async (_options: unknown, command: Command) => {
      const result = await ctx.client(command).post<TenantSyncResult>('/api/tenants/sync', {});
      ctx.output(command, result, () =>
        result.recovered.length === 0
          ? `${result.checked} authorizers checked: nothing to recover`
          : [`${result.checked} authorizers checked, ${result.recovered.length} recovered (now active):`, ...result.recovered].join('\n'),
      );
    });

  registerForwarding(tenants, ctx);
}

/**
 * Message forwarding: WeChat pushes every tenant's messages and events to mpfleet, which forwards
 * what it does not consume itself, signed, to a URL: the tenant's own, else the platform default.
 */

/** A Record, so a status the contract adds or drops fails the type check here; in the order a delivery moves. */
const DELIVERY_STATUSES: Record<DeliveryStatus, true> = { pending: true, retrying: true, delivered: true, dead: true };
const STATUS_NAMES = Object.keys(DELIVERY_STATUSES) as DeliveryStatus[];

const forwardingPath = (appid: string | undefined) => (appid === undefined ? '/api/forwarding' : `/api/tenants/${encodeURIComponent(appid)}/forwarding`);

function checkAppid(appid: string): string {
  if (!APPID.test(appid)) {
    const hint = /^https?:\/\//i.test(appid) ? ' (for the platform default, which every tenant without its own URL uses: --default <url>)' : '';
    throw new UsageError(`"${appid}" is not an appid (wx followed by 16 hex digits, as \`mpfleet tenants\` lists them)${hint}`);
  }
  return appid;
}

/** What the API would refuse anyway, refused before any request: a URL that is not http(s), or that carries credentials. */
function checkForwardUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !/^https?:$/.test(parsed.protocol)) throw new UsageError(`the forward URL must be an http(s) URL, got "${url}"`);
  if (parsed.username || parsed.password) throw new UsageError('the forward URL must not carry credentials: receivers check X-Mpfleet-Signature with the signing secret instead');
  return url;
}

interface ForwardOptions {
  default?: boolean;
  off?: boolean;
  rotateSecret?: boolean;
}

/** `[appid] [url]` as typed, with --default and --off, to the tenant (undefined: the platform default) and the URL (undefined: --off). */
function forwardTarget(args: string[], options: ForwardOptions): { appid: string | undefined; url: string | undefined } {
  if (options.off && options.rotateSecret) throw new UsageError('--off removes the URL and its secret: --rotate-secret does not go with it');
  const [appid, ...rest] = options.default ? [undefined, ...args] : args;
  if (!options.default && appid === undefined) throw new UsageError('name the tenant (forward <appid> <url>) or pass --default for the platform default (forward --default <url>)');
  if (appid !== undefined) checkAppid(appid);
  const who = appid ?? '--default';
  if (options.off) {
    if (rest.length > 0) throw new UsageError(`--off removes ${appid ?? 'the platform default'}'s URL: give no URL (forward ${who} --off)`);
    return { appid, url: undefined };
  }
  if (rest.length === 0) throw new UsageError(`missing the URL: forward ${who} <url> (or forward ${who} --off to stop forwarding)`);
  if (rest.length > 1) throw new UsageError(`too many arguments: forward ${options.default ? '--default <url>' : '<appid> <url>'}`);
  return { appid, url: checkForwardUrl(rest[0]!) };
}

/** LAST ERROR: the receiver's HTTP status first (unless the message already names it), then what happened. */
function errorCell(error: DeliveryView['lastError']): string | undefined {
  if (!error) return undefined;
  return error.httpStatus === undefined || error.message.includes(String(error.httpStatus)) ? error.message : `${error.httpStatus}: ${error.message}`;
}

function forwardingReport(status: ForwardingStatus, filter: DeliveryStatus | undefined): string {
  const where = status.forwarding
    ? `forwarded to ${status.forwarding.url} (${status.forwarding.source === 'tenant' ? "the tenant's own URL" : 'the platform default'}, set ${status.forwarding.updatedAt})`
    : 'not forwarded: no URL of its own and no platform default (`mpfleet tenants forward <appid> <url>` sets one)';
  const counts = STATUS_NAMES.map((name) => `${name} ${status.counts[name] ?? 0}`).join(', ');
  const lines = [`${status.appid}: ${where}`, `deliveries: ${counts}`, ''];
  if (status.deliveries.length === 0) lines.push(filter ? `no ${filter} deliveries` : 'no deliveries');
  else {
    lines.push(
      table(
        ['ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST ERROR'],
        status.deliveries.map((d) => [d.id, d.type, d.status, d.attempts, d.createdAt, errorCell(d.lastError)]),
      ),
    );
    if (status.nextToken) lines.push('… older deliveries not shown (newest first)');
  }
  if ((status.counts.dead ?? 0) > 0) lines.push('', `dead deliveries gave up retrying: fix the receiver, then \`mpfleet tenants forwarding ${status.appid} --redrive\` sends them again`);
  return lines.join('\n');
}

function registerForwarding(tenants: Command, ctx: CliContext): void {
  tenants
    .command('forward')
    .description("set where a tenant's messages and events are forwarded (or, with --default, every tenant without its own URL); --off stops it")
    .argument('[appid]', 'the tenant (omit with --default)')
    .argument('[url]', 'http(s) URL that receives the messages, signed with X-Mpfleet-Signature')
    .option('--default', 'the platform default, for every tenant without a URL of its own')
    .option('--rotate-secret', 'a new signing secret (the old one stops being used at once)')
    .option('--off', 'remove the URL (a tenant then falls back to the platform default, if one is set)')
    .addHelpText(
      'after',
      '\nEach POST carries X-Mpfleet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> keyed with the signing secret,\n' +
        'and X-Mpfleet-Id (the MsgId, or the event\'s dedupe key). Setting a URL again keeps the secret unless --rotate-secret.\n\n' +
        'Examples:\n  mpfleet tenants forward wx0123456789abcdef https://shop.example.com/wechat\n  mpfleet tenants forward --default https://hub.example.com/wechat\n  mpfleet tenants forward wx0123456789abcdef --off',
    )
    .action(async (appidArg: string | undefined, urlArg: string | undefined, options: ForwardOptions, command: Command) => {
      const { appid, url } = forwardTarget([appidArg, urlArg].filter((arg): arg is string => arg !== undefined), options);
      const client = ctx.client(command);
      const whose = appid ?? 'the platform default';
      if (url === undefined) {
        await client.delete(forwardingPath(appid));
        // 204, no body: --json gets a small object saying what was done.
        ctx.print(
          ctx.wantsJson(command)
            ? json({ removed: appid ?? 'default' })
            : appid
              ? `${appid}: its forward URL is removed (it now uses the platform default, if one is set: \`mpfleet tenants forwarding ${appid}\` shows)`
              : 'the platform default forward URL is removed: tenants without a URL of their own are no longer forwarded',
        );
        return;
      }
      const body: ForwardingRequest = { url, ...(options.rotateSecret ? { rotateSecret: true } : {}) };
      const settings = await client.put<ForwardingSettings>(forwardingPath(appid), body);
      ctx.output(command, settings, () =>
        [
          `${whose}: messages and events are forwarded to ${settings.url}`,
          `  url             ${settings.url}`,
          `  signing secret  ${settings.signingSecret}${options.rotateSecret ? '  (new: the old one is no longer used)' : ''}`,
          `  updated         ${settings.updatedAt}`,
          '',
          'The receiver checks X-Mpfleet-Signature (t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">) with the signing secret.',
        ].join('\n'),
      );
    });

  tenants
    .command('forwarding')
    .description("a tenant's message forwarding: the URL in effect, the deliveries per status, the latest deliveries (--redrive: send the dead ones again)")
    .argument('<appid>')
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices(STATUS_NAMES))
    .option('--redrive', 'first queue the dead (and stalled) deliveries again')
    .action(async (appid: string, options: { status?: DeliveryStatus; redrive?: boolean }, command: Command) => {
      checkAppid(appid);
      const client = ctx.client(command);
      let redriven: string | undefined;
      if (options.redrive) {
        const result = await client.post<RedriveResult>(`${forwardingPath(appid)}/redrive`, {});
        redriven = `${result.redriven} deliver${result.redriven === 1 ? 'y' : 'ies'} queued again${result.more ? ' (more are waiting: run --redrive again)' : ''}`;
        // --json keeps stdout to the API's status answer: the count goes to stderr.
        if (ctx.wantsJson(command)) ctx.notice(redriven);
      }
      const status = await client.get<ForwardingStatus>(forwardingPath(appid), { status: options.status });
      ctx.output(command, status, () => [...(redriven ? [redriven, ''] : []), forwardingReport(status, options.status)].join('\n'));
    });
}
