/**
 * Staged rollouts: a deployment's tenants in waves (named pilot tenants, then cumulative shares of
 * the rest), each committed, audited and released before the next opens. The next wave opens when
 * the open one has settled, its halt condition did not trip, and the operator advanced (or the
 * soak time passed); and only if WeChat's audit quota covers its submissions. A watcher message
 * per deployment (`watch-waves`) re-checks every WAVE_CHECK_SECONDS while a wave is in progress;
 * the sweep restarts a watcher whose message was lost.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { Conflict, InvalidInput } from '../errors';
import { logger } from '../logger';
import { APPID_PATTERN } from '../tenants/tenant';
import type { DeployMessage } from './deploy-messages';
import { describeCounts, type Deployment, type TargetTally, type WaveProgress, type WaveSpec } from './deployment';
import type { DeployEngine } from './engine-ports';
import type { TargetState } from './target-machine';

/** At most this many tenants in a staged rollout: their order is stored on the deployment item. */
export const MAX_WAVE_TENANTS = 10_000;
const MAX_WAVES = 10;

export const WaveFields = {
  waves: z
    .array(
      z.union([
        z.object({ tenants: z.array(z.string().regex(APPID_PATTERN, 'must be an appid')).min(1).max(1000) }).strict(),
        z.object({ percent: z.number().int().min(1).max(100) }).strict(),
      ]),
    )
    .min(1)
    .max(MAX_WAVES)
    .optional(),
  /** `manual` (the default): the operator advances; `{afterMinutes}`: the next wave opens that long after the last settled. */
  advance: z.union([z.literal('manual'), z.object({ afterMinutes: z.number().min(0).max(7 * 24 * 60) }).strict()]).optional(),
  haltWhen: z.object({ failedOrRejectedPercent: z.number().min(1).max(100) }).strict().optional(),
};

type WaveRequest = { waves?: WaveSpec[]; advance?: Deployment['advance']; haltWhen?: Deployment['haltWhen'] };

/** The shape of the waves asked for, before any tenant is looked at. */
export function checkWaveRequest(request: WaveRequest): void {
  const { waves } = request;
  if (!waves) {
    if (request.advance !== undefined || request.haltWhen !== undefined) throw new InvalidInput('waves_required', 'advance and haltWhen apply to a deployment with waves');
    return;
  }
  let seenPercent = false;
  let lastPercent = 0;
  const named = new Set<string>();
  waves.forEach((wave, i) => {
    if ('tenants' in wave) {
      if (seenPercent) throw new InvalidInput('validation_failed', `waves.${i}: waves of named tenants come before the percentage waves`);
      for (const appid of wave.tenants) {
        if (named.has(appid)) throw new InvalidInput('validation_failed', `waves.${i}: ${appid} is named in two waves`);
        named.add(appid);
      }
    } else {
      seenPercent = true;
      if (wave.percent <= lastPercent) throw new InvalidInput('validation_failed', `waves.${i}.percent: shares are cumulative, so each is larger than the one before (${lastPercent})`);
      lastPercent = wave.percent;
    }
  });
  if (seenPercent && lastPercent !== 100) throw new InvalidInput('validation_failed', 'waves: the last percentage wave must be 100, so every tenant has a wave');
}

/**
 * The deployment's tenants ordered wave by wave, and where each wave ends. Named tenants first;
 * the others in an order fixed by a hash of the deployment and the appid (a pilot share is a
 * spread sample, not the first appids alphabetically), cut at each cumulative percentage.
 */
export function planWaves(deploymentId: string, eligible: readonly string[], waves: readonly WaveSpec[]): { tenants: string[]; waveEnds: number[] } {
  const eligibleSet = new Set(eligible);
  const named = waves.flatMap((wave) => ('tenants' in wave ? wave.tenants : []));
  const outside = named.filter((appid) => !eligibleSet.has(appid));
  if (outside.length) throw new InvalidInput('wave_tenants_not_targeted', `waves name tenants this deployment does not reach (not in its tenants, or not active): ${outside.slice(0, 20).join(', ')}`);
  const namedSet = new Set(named);
  const rank = (appid: string) => createHash('sha256').update(`${deploymentId}:${appid}`).digest('hex');
  const rest = eligible.filter((appid) => !namedSet.has(appid)).sort((a, b) => rank(a).localeCompare(rank(b)));
  if (rest.length && !waves.some((wave) => 'percent' in wave)) {
    throw new InvalidInput('validation_failed', `waves: ${rest.length} tenants are in no wave: end with {percent: 100}`);
  }
  const waveEnds: number[] = [];
  let end = 0;
  for (const wave of waves) {
    if ('tenants' in wave) end += wave.tenants.length;
    else end = Math.max(end, named.length + Math.ceil((rest.length * wave.percent) / 100));
    waveEnds.push(end);
  }
  return { tenants: [...named, ...rest], waveEnds };
}

/** The wave of the target at `index` in the deployment's ordered tenants. */
export function waveOfIndex(deployment: Pick<Deployment, 'waveEnds'>, index: number): number | undefined {
  const ends = deployment.waveEnds;
  if (!ends?.length) return undefined;
  const wave = ends.findIndex((end) => index < end);
  return wave === -1 ? ends.length - 1 : wave;
}

/** Where a wave's targets are done for the wave: nothing of theirs moves until the operator acts. */
const AT_REST: ReadonlySet<TargetState> = new Set(['released', 'gray', 'rolled_back', 'failed', 'blocked', 'rejected', 'skipped', 'cancelled']);

export interface WaveNumbers {
  total: number;
  failed: number;
  rejected: number;
  settled: boolean;
}

/** A wave's numbers from its counts (skipped tenants do not count toward its size). */
export function waveNumbers(deployment: Pick<Deployment, 'submitAudit'>, counts: Partial<Record<TargetState, number>> = {}): WaveNumbers {
  let total = 0;
  let unsettled = 0;
  for (const [state, n] of Object.entries(counts) as [TargetState, number][]) {
    if (state !== 'skipped') total += n;
    const rests = AT_REST.has(state) || (state === 'committed' && !deployment.submitAudit);
    if (!rests) unsettled += n;
  }
  return { total, failed: counts.failed ?? 0, rejected: counts.rejected ?? 0, settled: unsettled === 0 };
}

export function haltTrips(deployment: Deployment, wave: number, numbers: WaveNumbers): boolean {
  const threshold = deployment.haltWhen?.failedOrRejectedPercent;
  if (threshold === undefined || numbers.total === 0) return false;
  if (deployment.waveProgress?.haltOverridden?.includes(wave)) return false;
  return (100 * (numbers.failed + numbers.rejected)) / numbers.total >= threshold;
}

export const WAVE_CHECK_SECONDS = (): number => Math.max(1, Number(process.env.DEPLOY_WAVE_CHECK_SECONDS ?? 15));

type WaveEngine = Pick<DeployEngine, 'deployments' | 'deployQueue' | 'wechat'>;

export type WaveStep = { watch: true; inSeconds: number } | { watch: false; why: string };

/**
 * Looks at the open wave and moves the rollout on: trips the halt, notes when the wave settled,
 * opens the next one (quota permitting) and queues its targets. Safe to run twice at once: every
 * write is conditional on the progress it read.
 */
export async function progressWaves(engine: WaveEngine, deploymentId: string, nowMs = Date.now()): Promise<WaveStep> {
  const deployment = await engine.deployments.get(deploymentId);
  if (!deployment?.waves || !deployment.waveEnds) return { watch: false, why: 'no waves' };
  if (deployment.cancelRequested || deployment.rollbackRequested) return { watch: false, why: 'cancelled or rolled back' };
  if (!deployment.fanOutDone) return { watch: true, inSeconds: WAVE_CHECK_SECONDS() };
  const progress = deployment.waveProgress ?? { version: 0, openWave: 0 };
  const expected = deployment.waveProgress?.version;
  const save = (next: Omit<WaveProgress, 'version'>) => engine.deployments.saveWaveProgress(deploymentId, next, expected);
  const { version: _version, ...current } = progress;
  if (progress.halt) return { watch: false, why: 'halted' };

  const tally = await engine.deployments.tally(deploymentId);
  const open = progress.openWave;
  const numbers = waveNumbers(deployment, tally.byWave?.[open]);
  if (haltTrips(deployment, open, numbers)) {
    const percent = Math.round((1000 * (numbers.failed + numbers.rejected)) / numbers.total) / 10;
    await save({ ...current, halt: { wave: open, failed: numbers.failed, rejected: numbers.rejected, total: numbers.total, percent, atMs: nowMs } });
    logger.warn('rollout halted', { deploymentId, wave: open, failed: numbers.failed, rejected: numbers.rejected, total: numbers.total });
    return { watch: false, why: 'halted' };
  }
  const last = deployment.waveEnds.length - 1;
  if (open >= last) return numbers.settled ? { watch: false, why: 'last wave settled' } : { watch: true, inSeconds: WAVE_CHECK_SECONDS() };
  if (!numbers.settled) return { watch: true, inSeconds: WAVE_CHECK_SECONDS() };

  const settledAtMs = progress.settledAtMs ?? nowMs;
  if (progress.settledAtMs === undefined) {
    if (!(await save({ ...current, settledAtMs }))) return { watch: true, inSeconds: 1 };
    return { watch: true, inSeconds: 0 };
  }
  const next = open + 1;
  if (deployment.advance === undefined || deployment.advance === 'manual') {
    if (progress.advanceRequested !== next) return { watch: false, why: `wave ${open + 1} settled: waiting for the operator to advance` };
  } else {
    const dueAtMs = settledAtMs + deployment.advance.afterMinutes * 60_000;
    if (nowMs < dueAtMs && progress.advanceRequested !== next) return { watch: true, inSeconds: Math.min(900, Math.ceil((dueAtMs - nowMs) / 1000)) };
  }

  // The next wave's submissions against what WeChat's audit quota leaves this month.
  const needed = deployment.submitAudit ? (tally.byWave?.[next]?.queued ?? 0) : 0;
  if (needed > 0) {
    const first = deployment.tenants![deployment.waveEnds[open]!]!;
    const { rest } = await engine.wechat.tenant(first).queryQuota();
    if (rest < needed) {
      await save({ ...current, quotaWait: { wave: next, needed, left: rest, atMs: nowMs } });
      logger.warn('next wave waits for audit quota', { deploymentId, wave: next, needed, left: rest });
      return { watch: true, inSeconds: 4 * WAVE_CHECK_SECONDS() };
    }
  }
  const { settledAtMs: _settled, advanceRequested: _asked, quotaWait: _quota, ...kept } = current;
  if (!(await save({ ...kept, openWave: next }))) return { watch: true, inSeconds: 1 };
  logger.info('wave opened', { deploymentId, wave: next });
  await queueWave(engine, deploymentId, next);
  return { watch: true, inSeconds: WAVE_CHECK_SECONDS() };
}

/** Sends the first step of every queued target of the wave (a target another message already moved ignores it). */
async function queueWave(engine: WaveEngine, deploymentId: string, wave: number): Promise<void> {
  let batch: DeployMessage[] = [];
  for await (const target of engine.deployments.allTargets(deploymentId)) {
    if ((target.wave ?? 0) !== wave || target.state !== 'queued') continue;
    batch.push({ kind: 'advance', deploymentId, appid: target.appid });
    if (batch.length >= 100) {
      await engine.deployQueue.send(batch);
      batch = [];
    }
  }
  await engine.deployQueue.send(batch);
}

/**
 * One turn of a deployment's wave watcher: progress, then the next check (if any) as a delayed
 * message of the same loop. A message of an older loop (the sweep started a new one) is dropped.
 */
export async function watchWaves(engine: WaveEngine, deploymentId: string, loop: number): Promise<void> {
  const deployment = await engine.deployments.get(deploymentId);
  if (!deployment?.waves || (deployment.waveProgress?.watchLoop ?? 0) !== loop) return;
  const step = await progressWaves(engine, deploymentId);
  const latest = await engine.deployments.get(deploymentId);
  if (!latest?.waveProgress && !step.watch) return;
  const progress = latest?.waveProgress ?? { version: 0, openWave: 0 };
  const { version, ...rest } = progress;
  // Records that the loop is alive (the sweep restarts one that stopped being seen).
  if (!(await engine.deployments.saveWaveProgress(deploymentId, { ...rest, watchLoop: loop, watchedAtMs: Date.now() }, latest?.waveProgress ? version : undefined))) {
    // Another writer moved the progress meanwhile: look again at once.
    await engine.deployQueue.send([{ kind: 'watch-waves', deploymentId, loop }], 1);
    return;
  }
  if (step.watch) await engine.deployQueue.send([{ kind: 'watch-waves', deploymentId, loop }], step.inSeconds);
}

/**
 * Starts a new watcher loop unless one was seen recently: for a new deployment, after an operator
 * action, and from the sweep (a loop whose message was lost).
 */
export async function ensureWaveWatcher(engine: WaveEngine, deployment: Deployment, nowMs = Date.now(), staleAfterMs = 5 * 60_000): Promise<boolean> {
  if (!deployment.waves || deployment.cancelRequested || deployment.rollbackRequested) return false;
  const progress = deployment.waveProgress;
  if (progress?.watchedAtMs !== undefined && nowMs - progress.watchedAtMs < staleAfterMs) return false;
  const loop = (progress?.watchLoop ?? 0) + 1;
  const { version, ...rest } = progress ?? { version: 0, openWave: 0 };
  if (!(await engine.deployments.saveWaveProgress(deployment.id, { ...rest, watchLoop: loop, watchedAtMs: nowMs }, progress ? version : undefined))) return false;
  await engine.deployQueue.send([{ kind: 'watch-waves', deploymentId: deployment.id, loop }]);
  return true;
}

/**
 * The operator's advance (or resume after a halt): the open wave must have settled and not halted
 * (resume: must have halted); the next wave opens once it may (quota permitting). Retried on a
 * concurrent write of the watcher, re-checked each time.
 */
export async function requestAdvance(engine: WaveEngine, deploymentId: string, resume: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const deployment = await engine.deployments.get(deploymentId);
    if (!deployment) throw new Conflict('deployment_gone', `no deployment ${deploymentId}`);
    const next = advanceFrom(deployment, await engine.deployments.tally(deploymentId), resume);
    if (await engine.deployments.saveWaveProgress(deploymentId, next, deployment.waveProgress?.version)) return;
    if (attempt >= 4) throw new Conflict('rollout_moved', 'the rollout kept changing meanwhile: look again and repeat');
  }
}

function advanceFrom(deployment: Deployment, tally: TargetTally, resume: boolean): Omit<WaveProgress, 'version'> {
  if (!deployment.waves || !deployment.waveEnds) throw new Conflict('no_waves', 'this deployment has no waves: nothing to advance');
  if (deployment.cancelRequested) throw new Conflict('deployment_cancelled', 'a cancelled deployment opens no wave');
  if (deployment.rollbackRequested) throw new Conflict('deployment_rolled_back', 'this deployment was rolled back: create a new one');
  const { version: _version, halt, ...rest } = deployment.waveProgress ?? { version: 0, openWave: 0 };
  const open = rest.openWave;
  const last = deployment.waveEnds.length - 1;
  if (resume && !halt) throw new Conflict('not_halted', 'the rollout is not halted: advance it instead');
  if (!resume && halt) throw new Conflict('rollout_halted', `wave ${open + 1} of ${last + 1} halted (${halt.failed} failed, ${halt.rejected} rejected of ${halt.total}): resume, roll back or cancel`);
  if (!resume) {
    if (!deployment.fanOutDone) throw new Conflict('wave_not_settled', `wave ${open + 1} of ${last + 1} is still being recorded: advance once it settled`);
    if (!waveNumbers(deployment, tally.byWave?.[open]).settled) throw new Conflict('wave_not_settled', `wave ${open + 1} of ${last + 1} is still deploying (${describeCounts(tally.byWave?.[open])}): advance once it settled`);
    if (open >= last) throw new Conflict('last_wave_open', `wave ${open + 1} of ${last + 1} is the last: every wave is open`);
  }
  return {
    ...rest,
    ...(open < last ? { advanceRequested: open + 1 } : {}),
    ...(halt ? { haltOverridden: [...(rest.haltOverridden ?? []), halt.wave] } : {}),
  };
}
