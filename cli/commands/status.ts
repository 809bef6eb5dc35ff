import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ApiError, type ApiClient } from '../api-client';
import type { DeploymentStatus, DeploymentView, TargetView } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { countsBlock, deploymentNotes, FAILED_STATES, failedCount, summaryLine, targetsTable } from '../format';
import { progressDisplay, silentDisplay } from '../progress';
import { rolloutBlock, rolloutStopsWatch } from '../rollout';

/** Statuses a deployment rests in without the operator: --watch stops there (a staged rollout's pause: see watchStops). */
const SETTLED: ReadonlySet<DeploymentStatus> = new Set(['completed', 'cancelled', 'paused']);
/** The API's largest page of targets. */
const ALL_PAGE_SIZE = 1000;

export const EXIT_TARGETS_FAILED = 3;
/** The deployment deployed nothing: it had no targets, or every target was skipped (revoked, needs re-authorization…). */
export const EXIT_NOTHING_DEPLOYED = 4;
/**
 * A staged rollout (deploy --waves) stopped between waves: it waits for the operator (`advance`,
 * `resume` after a halt, a manual release, a retry) or for audit quota. Not over: 3 and 4 describe
 * a deployment that is.
 */
export const EXIT_ROLLOUT_WAITING = 6;

/**
 * Whether --watch stops at this view. A staged rollout is `paused` between waves: the watch stops
 * when it waits for the operator or for audit quota, and goes on through a soak, which ends by itself.
 */
function watchStops(view: DeploymentView): boolean {
  if (view.rollout && view.status === 'paused') return rolloutStopsWatch(view);
  return SETTLED.has(view.status);
}

/**
 * How long a staged rollout must read "waiting for an advance" before --watch believes it. Just
 * after `mpfleet advance` (or `resume`) the API can read so for a moment: the action is done and
 * the rollout's watcher is about to open the next wave. A halt or a quota wait is believed at once.
 */
const ADVANCE_WAIT_CONFIRM_MS = 3000;

const needsConfirming = (view: DeploymentView) => view.rollout !== undefined && view.status === 'paused' && (view.rollout.waitingFor?.kind ?? 'advance') === 'advance' && !view.pausedReason;

/** How long --watch rides out an unreachable API (a restart of the stack, a deploy of the API) before giving up. */
export const DEFAULT_RECONNECT_MS = 5 * 60_000;

/** An API that is briefly away: restarting, or a gateway in front of it saying so. Anything else is an answer. */
export function isUnreachable(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.code === 'network_error' || error.code === 'timeout' || [502, 503, 504].includes(error.status ?? 0));
}

/**
 * Read-only calls of --watch, retried while the API is unreachable: one notice when it goes away,
 * one when it is back, and after `reconnectForMs` of absence the last error, which exits 1.
 */
class Reconnecting {
  private downSinceMs: number | undefined;

  constructor(private readonly ctx: CliContext) {}

  async call<T>(read: () => Promise<T>): Promise<T> {
    const boundMs = this.ctx.io.reconnectForMs ?? DEFAULT_RECONNECT_MS;
    for (;;) {
      try {
        const answer = await read();
        if (this.downSinceMs !== undefined) {
          this.ctx.notice(`API reachable again after ${Math.round((Date.now() - this.downSinceMs) / 1000)}s: watching on`);
          this.downSinceMs = undefined;
        }
        return answer;
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        const now = Date.now();
        if (this.downSinceMs === undefined) {
          this.downSinceMs = now;
          this.ctx.notice(`API unreachable (${error.message}), retrying… (Ctrl-C stops watching; gives up after ${describeMs(boundMs)})`);
        } else if (now - this.downSinceMs >= boundMs) {
          throw new ApiError(error.code, `${error.message}; gave up watching after ${describeMs(boundMs)} without an answer`, error.status);
        }
        await sleep(this.ctx.io.pollIntervalMs ?? 1000);
      }
    }
  }
}

const describeMs = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} minute${ms >= 90_000 ? 's' : ''}` : `${Math.round(ms / 1000)}s`);

const deploymentPath = (id: string) => `/api/deployments/${encodeURIComponent(id)}`;

async function loadDeployment(client: ApiClient, id: string, allTargets: boolean): Promise<DeploymentView> {
  const first = await client.get<DeploymentView>(deploymentPath(id), allTargets ? { limit: ALL_PAGE_SIZE } : {});
  if (!allTargets || !first.nextToken) return first;
  const rest = await client.all<TargetView>(deploymentPath(id), 'targets', { limit: ALL_PAGE_SIZE, nextToken: first.nextToken });
  const { nextToken: _dropped, ...view } = first;
  return { ...view, targets: [...first.targets, ...rest] };
}

function renderStatus(view: DeploymentView): string {
  const lines = [summaryLine(view), ...deploymentNotes(view), ...rolloutBlock(view)];
  lines.push(countsBlock(view.counts), '', targetsTable(view.targets));
  if (view.nextToken) lines.push(`… ${view.total - view.targets.length} more targets: add --all-targets to list them all`);
  return lines.join('\n');
}

async function printStatus(ctx: CliContext, command: Command, client: ApiClient, id: string, allTargets: boolean): Promise<DeploymentView> {
  const view = await loadDeployment(client, id, allTargets);
  ctx.output(command, view, () => renderStatus(view));
  return view;
}

/**
 * Polls until the deployment settles, then prints the final summary and the targets that need the
 * operator. An API that goes away meanwhile (a restart) is waited for. The exit code tells scripts
 * whether the fleet made it: 0; 3 if any target failed, was blocked by a release gate or was rejected; 4 if it deployed nothing
 * (no targets, or every one skipped). A deployment left waiting for a manual release says so and
 * names the command that releases it.
 */
export async function watchDeployment(ctx: CliContext, command: Command, id: string, allTargets: boolean): Promise<void> {
  const client = ctx.client(command);
  const api = new Reconnecting(ctx);
  const quiet = ctx.wantsJson(command);
  if (!quiet) ctx.print(`watching ${id} (Ctrl-C stops watching, not the deployment)`);
  const display = quiet ? silentDisplay : progressDisplay(ctx.io.stdout);
  try {
    let stoppingSinceMs: number | undefined;
    for (;;) {
      // One target is enough: the counts and the status come with every page.
      const view = await api.call(() => client.get<DeploymentView>(deploymentPath(id), { limit: 1 }));
      display.update(view);
      if (watchStops(view)) {
        stoppingSinceMs ??= Date.now();
        if (!needsConfirming(view) || Date.now() - stoppingSinceMs >= ADVANCE_WAIT_CONFIRM_MS) break;
      } else {
        stoppingSinceMs = undefined;
      }
      await sleep(ctx.io.pollIntervalMs ?? 1000);
    }
  } finally {
    display.stop();
  }

  if (!quiet) ctx.print('');
  const final = await api.call(() => loadDeployment(client, id, allTargets));
  ctx.output(command, final, () => renderStatus(final));
  // `final` already holds every target unless it was cut to its first page.
  const everyTarget = async () => (final.nextToken ? await api.call(() => client.all<TargetView>(deploymentPath(id), 'targets', { limit: ALL_PAGE_SIZE })) : final.targets);

  const failed = failedCount(final.counts);
  const skipped = final.counts.skipped ?? 0;
  const nothingDeployed = !final.cancelled && (final.total === 0 || skipped === final.total);
  // Between waves the deployment is not over: its failures so far are listed, the exit code says it waits.
  const rolloutWaiting = final.rollout !== undefined && final.status === 'paused';
  if (failed > 0) {
    if (!quiet) {
      const failures = (await everyTarget()).filter((t) => FAILED_STATES.includes(t.state));
      const blocked = final.counts.blocked ?? 0;
      const what = blocked > 0 ? 'failed, blocked or rejected' : 'failed or rejected';
      ctx.print(`\n${failed} target${failed === 1 ? '' : 's'} ${what}:\n${targetsTable(failures)}`);
      if (blocked > 0) ctx.print(blockedSummary(failures.filter((t) => t.state === 'blocked'), id));
    }
    ctx.exitCode = rolloutWaiting ? EXIT_ROLLOUT_WAITING : EXIT_TARGETS_FAILED;
  } else if (rolloutWaiting) {
    ctx.exitCode = EXIT_ROLLOUT_WAITING;
  } else if (nothingDeployed) {
    if (!quiet) {
      if (final.total === 0) ctx.print('\nnothing deployed: the deployment has no targets (no active tenant, or none of those named)');
      else ctx.print(`\nnothing deployed: every target was skipped:\n${targetsTable((await everyTarget()).filter((t) => t.state === 'skipped'))}`);
    }
    ctx.exitCode = EXIT_NOTHING_DEPLOYED;
  } else {
    ctx.exitCode = 0;
  }
  const approved = final.counts.approved ?? 0;
  // A staged rollout is paused while a wave's approved targets wait for the release (nothing else to wait for).
  const waitsForRelease = final.status !== 'paused' || (final.rollout !== undefined && !final.rollout.waitingFor && !final.pausedReason && !final.paused);
  if (!quiet && final.release === 'manual' && approved > 0 && !final.cancelled && !final.rolledBack && waitsForRelease) {
    ctx.print(
      `\nwaiting for a manual release: ${approved} approved target${approved === 1 ? '' : 's'}. Next:\n` +
        `  mpfleet release ${id}              # fully online\n` +
        `  mpfleet release ${id} --gray 10    # or a gray release to 10% of users (a tenant's first release is always full)`,
    );
  }
}

/**
 * The release gates that stopped blocked targets, by code with how many each: the targets' errors
 * carry the message and the fix; a retry reads the gates again.
 */
export function blockedSummary(blocked: readonly TargetView[], id: string): string {
  const byCode = new Map<string, number>();
  for (const t of blocked) {
    const code = String(t.error?.code ?? 'unknown');
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }
  const codes = [...byCode].map(([code, n]) => `${code} (${n})`).join(', ');
  return (
    `blocked by release gates: ${codes}\n` +
    `  \`mpfleet readiness <appid>\` shows a tenant's gates; fix them, then \`mpfleet retry ${id}\` checks them again and deploys`
  );
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show a deployment: status, counts per state, targets; a staged rollout (deploy --waves) also each wave and what it waits for')
    .argument('<id>', 'deployment id (d-…)')
    .option(
      '--watch',
      'follow it live until it completes, is cancelled or pauses, riding out API restarts; exit 3 if any target failed, was blocked or was rejected, 4 if nothing was deployed, ' +
        '6 if a staged rollout stopped between waves for the operator (advance, resume, release) or for audit quota (a soak is watched through)',
    )
    .option('--all-targets', 'list every target, not just the first page')
    .action(async (id: string, options: { watch?: boolean; allTargets?: boolean }, command: Command) => {
      if (options.watch) return watchDeployment(ctx, command, id, options.allTargets === true);
      await printStatus(ctx, command, ctx.client(command), id, options.allTargets === true);
    });
}
