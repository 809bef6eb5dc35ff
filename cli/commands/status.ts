import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ApiError, type ApiClient } from '../api-client';
import type { DeploymentStatus, DeploymentView, TargetView } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { countsBlock, deploymentNotes, FAILED_STATES, failedCount, summaryLine, targetsTable } from '../format';
import { progressDisplay, silentDisplay } from '../progress';

/** Statuses a deployment rests in without the operator: --watch stops there. */
const SETTLED: ReadonlySet<DeploymentStatus> = new Set(['completed', 'cancelled', 'paused']);
/** The API's largest page of targets. */
const ALL_PAGE_SIZE = 1000;

export const EXIT_TARGETS_FAILED = 3;
/** The deployment deployed nothing: it had no targets, or every target was skipped (revoked, needs re-authorization…). */
export const EXIT_NOTHING_DEPLOYED = 4;

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
  const lines = [summaryLine(view), ...deploymentNotes(view)];
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
    for (;;) {
      // One target is enough: the counts and the status come with every page.
      const view = await api.call(() => client.get<DeploymentView>(deploymentPath(id), { limit: 1 }));
      display.update(view);
      if (SETTLED.has(view.status)) break;
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
  if (failed > 0) {
    if (!quiet) {
      const failures = (await everyTarget()).filter((t) => FAILED_STATES.includes(t.state));
      const blocked = final.counts.blocked ?? 0;
      const what = blocked > 0 ? 'failed, blocked or rejected' : 'failed or rejected';
      ctx.print(`\n${failed} target${failed === 1 ? '' : 's'} ${what}:\n${targetsTable(failures)}`);
      if (blocked > 0) ctx.print(blockedSummary(failures.filter((t) => t.state === 'blocked'), id));
    }
    ctx.exitCode = EXIT_TARGETS_FAILED;
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
  if (!quiet && final.release === 'manual' && approved > 0 && !final.cancelled && !final.rolledBack && final.status !== 'paused') {
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
    .description('show a deployment: status, counts per state, targets')
    .argument('<id>', 'deployment id (d-…)')
    .option('--watch', 'follow it live until it completes, is cancelled or pauses, riding out API restarts; exit 3 if any target failed, was blocked or was rejected, 4 if nothing was deployed')
    .option('--all-targets', 'list every target, not just the first page')
    .action(async (id: string, options: { watch?: boolean; allTargets?: boolean }, command: Command) => {
      if (options.watch) return watchDeployment(ctx, command, id, options.allTargets === true);
      await printStatus(ctx, command, ctx.client(command), id, options.allTargets === true);
    });
}
