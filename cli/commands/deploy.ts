import { InvalidArgumentError, type Command } from 'commander';
import type { CreateDeploymentRequest, DeploymentCreated, PreflightResult, WavesRequest } from '../../shared/contract/operator-api';
import { ApiError, type ApiClient } from '../api-client';
import { requireOptions, UsageError, type CliContext } from '../context';
import { needsConfirmation, preflightBrief } from '../gates';
import { readLine } from '../io';
import { readJsonInput } from './config';
import { APPID } from './keys';
import { watchDeployment } from './status';
import { parseNonNegativeInteger } from './templates';

const parseList = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

/** Exit code of `readiness` for a tenant WeChat would refuse, and of `deploy` when the operator answers no at the release gates. */
export const EXIT_BLOCKED = 5;

/** The API's names for what deploy's flags set, so its validation errors can name the flag the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  templateId: '--template',
  userVersion: '--version',
  userDesc: '--desc',
  tenants: '--tenants',
  ext: '--ext',
  release: '--manual-release',
  submitAudit: '--no-audit',
  supersede: '--supersede',
  waves: '--waves',
  advance: '--advance',
  haltWhen: '--halt-when',
};

/**
 * `userVersion: Too big…` → `--version: Too big…`; `tenants.2: must be an appid` → `--tenants (the
 * 3rd appid): …`; `ext.window.x: …` → `--ext file: window.x: …`. Other messages pass unchanged.
 */
export function messageWithFlags(message: string): string {
  const match = /^([A-Za-z]+)((?:\.[^\s:]+)*): ([\s\S]*)$/.exec(message);
  const flag = match && FLAG_OF_FIELD[match[1]!];
  if (!match || !flag) return message;
  const [, , rest, text] = match;
  const path = rest!.slice(1);
  if (path === '') return `${flag}: ${text}`;
  if (flag === '--tenants' && /^\d+$/.test(path)) return `${flag} (appid ${Number(path) + 1} in the list): ${text}`;
  if (flag === '--ext') return `${flag} file: ${path}: ${text}`;
  return `${flag} (${path}): ${text}`;
}

/** A `validation_failed` from POST /api/deployments (or its preflight) names the flag, not the API field. */
function withFlagNames(error: unknown): never {
  if (error instanceof ApiError && error.code === 'validation_failed') throw new ApiError(error.code, messageWithFlags(error.message), error.status);
  throw error;
}

export interface DeployOptions {
  template: number;
  version?: string;
  desc?: string;
  tenants?: string[];
  manualRelease?: boolean;
  audit: boolean;
  ext?: string;
  supersede?: boolean;
}

/** The options of the deployment request, shared by `deploy` and `preflight` (which takes the same body). */
export function deploymentOptions(command: Command): Command {
  return command
    .option('--template <id>', 'template id from `mpfleet templates`', parseNonNegativeInteger)
    .option('--version <version>', 'user_version to commit, e.g. 2.0.0')
    .option('--desc <text>', 'user_desc: what changed')
    .option('--tenants <appids>', 'comma-separated appids (default: every active tenant)', parseList)
    .option('--manual-release', 'stop at approved; release later with `mpfleet release <id>`')
    .option('--no-audit', 'commit only: do not submit for audit')
    .option('--ext <file>', 'JSON file of deploy-wide ext_json defaults, under each tenant\'s own configuration')
    .option('--supersede', 'take tenants over from a deployment still mid-lifecycle there (its target is cancelled, its audit withdrawn) instead of waiting for it');
}

/** POST /api/deployments' body from the flags; the --ext file is read (a usage error, before any request, when it is not JSON). */
export async function deploymentRequest(ctx: CliContext, options: DeployOptions, defaults: { version: string; desc: string }): Promise<CreateDeploymentRequest> {
  const ext = options.ext === undefined ? undefined : await readJsonInput(ctx, options.ext, 'the ext defaults');
  return {
    templateId: options.template,
    userVersion: options.version ?? defaults.version,
    userDesc: options.desc ?? defaults.desc,
    ...(options.tenants ? { tenants: options.tenants } : {}),
    release: options.manualRelease ? 'manual' : 'auto',
    submitAudit: options.audit,
    ...(ext === undefined ? {} : { ext }),
    ...(options.supersede ? { supersede: true } : {}),
  } satisfies CreateDeploymentRequest;
}

export const runPreflight = (client: ApiClient, body: CreateDeploymentRequest) => client.post<PreflightResult>('/api/deployments/preflight', body).catch(withFlagNames);

/**
 * What the preflight found, and whether to go on: nothing blocked and quota enough, yes; else
 * --yes, or the operator's answer on a terminal; without a terminal (a script, CI) a usage error
 * asking for --yes, so a pipeline never deploys past blocked tenants unawares.
 */
async function confirmGates(ctx: CliContext, result: PreflightResult, options: { yes?: boolean; ext?: string }): Promise<boolean> {
  ctx.notice(preflightBrief(result));
  if (!needsConfirmation(result) || options.yes) return true;
  const ready = result.counts.ready;
  const why = [
    result.counts.blocked > 0 ? `${result.counts.blocked} tenant${result.counts.blocked === 1 ? ' is' : 's are'} blocked` : '',
    result.quota && result.quota.planned > result.quota.rest ? 'the audit quota is short' : '',
  ].filter(Boolean).join(' and ');
  // A question needs a person at the terminal, and a stdin not already read for --ext.
  if (!ctx.io.stdin.isTTY || options.ext === '-') {
    throw new UsageError(`${why}: pass --yes to deploy to the ${ready} ready tenant${ready === 1 ? '' : 's'} anyway (nothing was created)`);
  }
  ctx.io.stderr.write(`Deploy to the ${ready} ready tenant${ready === 1 ? '' : 's'}? [y/N] `);
  const answer = (await readLine(ctx.io.stdin)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}

/** The API's bounds on a staged rollout: at most 10 waves (the pilot's included); a soak of at most a week. */
const MAX_WAVES = 10;
const MAX_ADVANCE_MINUTES = 7 * 24 * 60;

/** `5,25,100`: cumulative shares of the tenants, whole percentages, each larger than the last, ending at 100. */
export function parseWaves(value: string): number[] {
  const items = value.split(',').map((item) => item.trim());
  const percents = items.map((item) => {
    const n = Number(item);
    if (!/^\d+$/.test(item) || n < 1 || n > 100) throw new InvalidArgumentError(`"${item}" is not a whole percentage from 1 to 100 (e.g. --waves 5,25,100)`);
    return n;
  });
  for (let i = 1; i < percents.length; i++) {
    if (percents[i]! <= percents[i - 1]!) {
      throw new InvalidArgumentError(`the shares are cumulative, so each is larger than the one before (${percents[i]} after ${percents[i - 1]}), e.g. 5,25,100`);
    }
  }
  if (percents.at(-1) !== 100) throw new InvalidArgumentError('the last wave must be 100, so every tenant has a wave (e.g. 5,25,100)');
  return percents;
}

/** The pilot tenants: comma-separated appids, each `wx` and 16 hex digits, none twice. */
export function parsePilot(value: string): string[] {
  const appids = parseList(value);
  if (appids.length === 0) throw new InvalidArgumentError('must be comma-separated appids');
  const bad = appids.find((appid) => !APPID.test(appid));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not an appid (wx followed by 16 hex digits, as \`mpfleet tenants\` lists them)`);
  const twice = appids.find((appid, i) => appids.indexOf(appid) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`${twice} is named twice`);
  return appids;
}

/** `manual` (the default: `mpfleet advance <id>` opens the next wave), or minutes after a wave settled. */
export function parseAdvance(value: string): NonNullable<WavesRequest['advance']> {
  if (value === 'manual') return 'manual';
  const minutes = Number(value);
  if (value.trim() === '' || !Number.isFinite(minutes) || minutes < 0 || minutes > MAX_ADVANCE_MINUTES) {
    throw new InvalidArgumentError(`must be manual, or the minutes from 0 to ${MAX_ADVANCE_MINUTES} (a week) after a wave settled before the next opens`);
  }
  return { afterMinutes: minutes };
}

/** A share of a wave's targets, 1 to 100. */
export function parseHaltPercent(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 1 || n > 100) throw new InvalidArgumentError('must be a percentage from 1 to 100 (of a wave\'s targets failed or rejected)');
  return n;
}

interface WaveOptions {
  waves?: number[];
  pilot?: string[];
  advance?: NonNullable<WavesRequest['advance']>;
  haltWhen?: number;
  tenants?: string[];
}

/**
 * POST /api/deployments' staged rollout fields from the flags: the pilot as a first wave of named
 * tenants, then the percentages. Checked before any request: the flags that only mean something
 * with --waves need it, the pilots must be among --tenants (when given), and the API takes at most
 * 10 waves.
 */
export function wavesRequest(options: WaveOptions): WavesRequest {
  if (!options.waves) {
    const orphan = [options.pilot && '--pilot', options.advance && '--advance', options.haltWhen !== undefined && '--halt-when'].filter(Boolean);
    if (orphan.length) throw new UsageError(`${orphan.join(', ')} ${orphan.length === 1 ? 'applies' : 'apply'} to a staged rollout: add --waves (e.g. --waves 5,25,100)`);
    return {};
  }
  const count = options.waves.length + (options.pilot ? 1 : 0);
  if (count > MAX_WAVES) throw new UsageError(`at most ${MAX_WAVES} waves (the pilot counts as one): got ${count}`);
  if (options.pilot && options.tenants) {
    const outside = options.pilot.filter((appid) => !options.tenants!.includes(appid));
    if (outside.length) throw new UsageError(`--pilot names tenants not in --tenants: ${outside.join(', ')}`);
  }
  return {
    waves: [...(options.pilot ? [{ tenants: options.pilot }] : []), ...options.waves.map((percent) => ({ percent }))],
    ...(options.advance ? { advance: options.advance } : {}),
    ...(options.haltWhen !== undefined ? { haltWhen: { failedOrRejectedPercent: options.haltWhen } } : {}),
  };
}

interface DeployCommandOptions extends DeployOptions, WaveOptions {
  version: string;
  desc: string;
  watch?: boolean;
  yes?: boolean;
}

export function registerDeploy(program: Command, ctx: CliContext): void {
  const deploy = deploymentOptions(
    program
      .command('deploy')
      .summary('commit a template to the fleet (then audit and release), after a preflight of the release gates; prints the deployment id')
      .description(
        'commit a template to the fleet (then submit for audit and release); prints the deployment id. ' +
          'Runs the preflight first: when a tenant is blocked by a release gate or the audit quota is short, asks before deploying to the ready ones (--yes: do not ask)',
      ),
  )
    .option('--yes', 'deploy to the ready tenants without asking, even when the preflight finds blocked tenants or a short audit quota (needed without a terminal)')
    .option('--waves <percents>', 'a staged rollout: cumulative shares of the tenants, e.g. 5,25,100; each wave is released before the next opens', parseWaves)
    .option('--pilot <appids>', 'with --waves: comma-separated appids deployed first, as a wave of their own before the percentages', parsePilot)
    .option('--advance <manual|minutes>', 'with --waves: how the next wave opens: manual (the default; `mpfleet advance <id>`) or this many minutes after a wave settled', parseAdvance)
    .option('--halt-when <percent>', "with --waves: halt the rollout when this share of a wave's targets failed or was rejected (then `mpfleet resume <id>`, rollback or cancel)", parseHaltPercent)
    .option('--watch', 'then follow it like `mpfleet status <id> --watch` (a staged rollout: until it waits between waves, exit 6)');
  // Required, but a typo'd option is reported before a missing one.
  requireOptions(deploy, 'template', 'version', 'desc').action(async (options: DeployCommandOptions, command: Command) => {
    const staged = wavesRequest(options);
    // The preflight gets the very body the deployment is created with (it checks the waves' shape and otherwise ignores them).
    const body: CreateDeploymentRequest = { ...(await deploymentRequest(ctx, options, { version: options.version, desc: options.desc })), ...staged };
    const client = ctx.client(command);
    if (!(await confirmGates(ctx, await runPreflight(client, body), options))) {
      ctx.notice('not deployed: nothing was created');
      ctx.exitCode = EXIT_BLOCKED;
      return;
    }
    const created = await client.post<DeploymentCreated>('/api/deployments', body).catch(withFlagNames);
    // With --json --watch, the final deployment (which has the id) is the one JSON document printed.
    if (!(options.watch && ctx.wantsJson(command))) ctx.output(command, created, () => created.id);
    if (options.watch) await watchDeployment(ctx, command, created.id, false);
  });
}
