import { logger } from '../logger';
import { STALE_STEP_MS } from './advance-target';
import type { DeployMessage } from './deploy-messages';
import { deploymentStatus, type Deployment, type Target } from './deployment';
import { dueStep } from './due-step';
import type { DeployEngine } from './engine-ports';
import { resumeFanOut } from './fan-out';
import { CANCELLABLE, IN_FLIGHT } from './target-machine';
import { ensureWaveWatcher } from './waves';

/**
 * How long a target may sit with a step due (or a deployment's fan-out go untouched) before the
 * sweeper counts its message as lost and sends another. Live work is never older than this.
 */
export const SWEEP_AFTER_MS = Number(process.env.DEPLOY_SWEEP_AFTER_SECONDS ?? 5 * 60) * 1000;
/**
 * A target that is backing off (attempts > 0) has a delayed message coming: SQS delays up to 15
 * minutes, so it is left alone longer than that.
 */
const BACKING_OFF_SWEEP_AFTER_MS = 16 * 60_000;
/** Targets read per run at most, over every deployment: the next run continues where this one stopped. */
const MAX_TARGETS_PER_RUN = Number(process.env.DEPLOY_SWEEP_MAX_TARGETS ?? 20_000);
const PAGE = 200;
const SEND_BATCH = 100;

export interface SweepReport {
  /** Deployments looked at, and of those settled ones taken out of the index. */
  deployments: number;
  retired: number;
  /** Targets read, and of those re-driven. */
  targets: number;
  redriven: number;
  /** Fan-outs sent on again from their cursor. */
  fanOutsResumed: number;
  /** Deployments from before the index existed, put in it by the one-time backfill. */
  backfilled: number;
  /** Staged rollouts whose wave watcher was started again. */
  waveWatchersStarted: number;
}

export interface SweepOptions {
  nowMs?: number;
  afterMs?: number;
  maxTargets?: number;
  /** Stop starting new deployments after this long (the function's timeout is shared with the audit reconciler). */
  budgetMs?: number;
}

type SweepEngine = Pick<DeployEngine, 'deployments' | 'deployQueue' | 'wechat'>;

/**
 * Finds work whose message was lost — a target with a step due or a step in flight long past the
 * stale window, a fan-out left part-way — and sends it on again: an `advance` message per target
 * (the normal claim and takeover make a duplicate harmless: nothing runs twice), the fan-out from
 * its cursor. Reads only the index of unsettled deployments and their own targets, least recently
 * swept first, up to a budget per run; a settled deployment leaves the index.
 */
export async function sweepDeployments(engine: SweepEngine, options: SweepOptions = {}): Promise<SweepReport> {
  const nowMs = options.nowMs ?? Date.now();
  const afterMs = options.afterMs ?? SWEEP_AFTER_MS;
  let budget = options.maxTargets ?? MAX_TARGETS_PER_RUN;
  const deadline = Date.now() + (options.budgetMs ?? 60_000);
  const report: SweepReport = { deployments: 0, retired: 0, targets: 0, redriven: 0, fanOutsResumed: 0, backfilled: 0, waveWatchersStarted: 0 };
  report.backfilled = await backfillIndex(engine, deadline);

  for await (const entry of engine.deployments.activeDeployments()) {
    if (budget <= 0 || Date.now() > deadline) break;
    report.deployments += 1;
    const deployment = await engine.deployments.get(entry.id);
    if (!deployment) {
      // Indexed just before the deployment was stored, and never stored: a crash in between.
      if (nowMs - (entry.activeSinceMs ?? 0) > afterMs) {
        await engine.deployments.retire(entry.id);
        report.retired += 1;
      }
      continue;
    }
    if (deployment.fanOutDone && !entry.sweepCursor) {
      const status = deploymentStatus(deployment, await engine.deployments.tally(deployment.id), nowMs);
      if (status === 'completed' || status === 'cancelled') {
        await engine.deployments.retire(deployment.id);
        report.retired += 1;
        continue;
      }
    }
    if (!deployment.fanOutDone && nowMs - deployment.updatedAtMs > afterMs && (await resumeFanOut(engine, deployment))) report.fanOutsResumed += 1;
    // A staged rollout's watcher whose message was lost (or that stopped to wait) looks again.
    if (deployment.waves && (await ensureWaveWatcher(engine, deployment, nowMs, afterMs))) report.waveWatchersStarted += 1;

    let cursor = entry.sweepCursor;
    let redrive: DeployMessage[] = [];
    const flush = async () => {
      report.redriven += redrive.length;
      await engine.deployQueue.send(redrive);
      redrive = [];
    };
    do {
      const page = await engine.deployments.listTargets(deployment.id, Math.min(PAGE, budget), cursor);
      budget -= page.targets.length;
      report.targets += page.targets.length;
      for (const target of page.targets) {
        if (stranded(deployment, target, nowMs, afterMs)) redrive.push({ kind: 'advance', deploymentId: deployment.id, appid: target.appid });
      }
      if (redrive.length >= SEND_BATCH) await flush();
      cursor = page.nextToken;
    } while (cursor && budget > 0);
    await flush();
    await engine.deployments.markSwept(deployment.id, nowMs, cursor);
  }
  if (report.redriven || report.fanOutsResumed || report.retired || report.backfilled) logger.info('deployments swept', { ...report });
  return report;
}

/** Deployments read from the list per backfill page. */
const BACKFILL_PAGE = 500;

/**
 * Deployments created before the sweeper's index existed (an upgraded installation) are not in it:
 * once, page by page across runs, every listed deployment never swept is put in the index (an
 * idempotent write; a settled one is retired again by the sweep). The list is read newest first, so
 * the pre-index deployments come last; after the last page, a run costs one read.
 */
async function backfillIndex(engine: SweepEngine, deadline: number): Promise<number> {
  let progress = await engine.deployments.indexBackfill();
  let added = 0;
  while (!progress.done && Date.now() < deadline) {
    const page = await engine.deployments.list(BACKFILL_PAGE, progress.nextToken);
    for (const deployment of page.deployments) {
      if (deployment.lastSweptAtMs !== undefined) continue;
      await engine.deployments.activate(deployment.id);
      added += 1;
    }
    progress = page.nextToken ? { done: false, nextToken: page.nextToken } : { done: true };
    await engine.deployments.saveIndexBackfill(progress);
  }
  return added;
}

/**
 * Whether the target has work no message will do: its step in flight long past the stale window
 * (its worker died, the delayed look-again was lost), or at rest with a step due (or waiting its
 * turn, or cancelled but not yet settled) and untouched for longer than the bound.
 */
export function stranded(deployment: Deployment, target: Target, nowMs: number, afterMs = SWEEP_AFTER_MS): boolean {
  if (IN_FLIGHT.has(target.state)) return nowMs - (target.stepStartedAtMs ?? target.updatedAtMs) > Math.max(STALE_STEP_MS, afterMs);
  const hasWork =
    target.state === 'waiting' ||
    (deployment.cancelRequested && CANCELLABLE.includes(target.state)) ||
    // An audit under review has no step due (the audit reconciler polls for its result), unless it is to be withdrawn.
    dueStep(deployment, target) !== undefined;
  if (!hasWork) return false;
  const bound = target.attempts > 0 ? Math.max(afterMs, BACKING_OFF_SWEEP_AFTER_MS) : afterMs;
  return nowMs - target.updatedAtMs > bound;
}
