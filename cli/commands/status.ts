import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client';
import type { DeploymentStatus, DeploymentView, TargetView } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { countsBlock, deploymentNotes, FAILED_STATES, failedCount, summaryLine, targetsTable } from '../format';
import { progressDisplay, silentDisplay } from '../progress';

/** Statuses a deployment rests in without the operator: --watch stops there. */
const SETTLED: ReadonlySet<DeploymentStatus> = new Set(['completed', 'cancelled', 'paused']);
/** The API's largest page of targets. */
const ALL_PAGE_SIZE = 1000;

export const EXIT_TARGETS_FAILED = 3;

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
 * Polls until the deployment settles, then prints the final summary and every failed or rejected
 * target. The exit code tells scripts whether the fleet made it: 0, or 3 if any target failed.
 */
export async function watchDeployment(ctx: CliContext, command: Command, id: string, allTargets: boolean): Promise<void> {
  const client = ctx.client(command);
  const quiet = ctx.wantsJson(command);
  if (!quiet) ctx.print(`watching ${id} (Ctrl-C stops watching, not the deployment)`);
  const display = quiet ? silentDisplay : progressDisplay(ctx.io.stdout);
  try {
    for (;;) {
      // One target is enough: the counts and the status come with every page.
      const view = await client.get<DeploymentView>(deploymentPath(id), { limit: 1 });
      display.update(view);
      if (SETTLED.has(view.status)) break;
      await sleep(ctx.io.pollIntervalMs ?? 1000);
    }
  } finally {
    display.stop();
  }

  if (!quiet) ctx.print('');
  const final = await printStatus(ctx, command, client, id, allTargets);
  const failed = failedCount(final.counts);
  if (failed > 0 && !quiet) {
    // `final` already holds every target unless it was cut to its first page.
    const targets = final.nextToken ? await client.all<TargetView>(deploymentPath(id), 'targets', { limit: ALL_PAGE_SIZE }) : final.targets;
    const failures = targets.filter((t) => FAILED_STATES.includes(t.state));
    ctx.print(`\n${failed} target${failed === 1 ? '' : 's'} failed or rejected:\n${targetsTable(failures)}`);
  }
  ctx.exitCode = failed > 0 ? EXIT_TARGETS_FAILED : 0;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show a deployment: status, counts per state, targets')
    .argument('<id>', 'deployment id (d-…)')
    .option('--watch', 'follow it live until it completes, is cancelled or pauses; exit 3 if any target failed or was rejected')
    .option('--all-targets', 'list every target, not just the first page')
    .action(async (id: string, options: { watch?: boolean; allTargets?: boolean }, command: Command) => {
      if (options.watch) return watchDeployment(ctx, command, id, options.allTargets === true);
      await printStatus(ctx, command, ctx.client(command), id, options.allTargets === true);
    });
}
