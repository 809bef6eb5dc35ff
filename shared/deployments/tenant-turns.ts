import { logger } from '../logger';
import type { Tenant } from '../tenants/tenant';
import type { Deployment, Target } from './deployment';
import type { DeployEngine } from './engine-ports';
import { LETS_GO_OF_TENANT } from './target-machine';

/** A waiting target looks again this often, in case its wake-up was lost (SQS caps a delay at 15 minutes). */
const WAIT_RECHECK_SECONDS = 900;

/**
 * One tenant, one deployment at a time. A deployment holds the tenant from its commit until its
 * target lets go (released, or ended); another deployment's target meanwhile waits, visibly, and
 * is woken when the tenant is let go of — or, when its deployment asks to `supersede`, takes over
 * after the holder's target is cancelled (its audit withdrawn). Two deployments on one
 * mini-program would otherwise overwrite each other's commit and share one audit.
 */
export async function takeTurn(
  engine: DeployEngine,
  deployment: Deployment,
  target: Target,
  supersede: (holder: string) => Promise<boolean>,
  /** Hears the tenant as the hold found it, so the step that follows need not read it again. */
  heldTenant?: (tenant: Tenant) => void,
): Promise<Target | undefined> {
  const { id } = deployment;
  const { appid } = target;
  // A deployment that submits points the tenant's audit results at itself with its first hold: one write, not two.
  let turn = await engine.tenants.hold(appid, id, Date.now(), { pointAudit: !!deployment.submitAudit });
  if (!turn.held && (await finishHoldersLetGo(engine, appid, turn, id))) turn = await engine.tenants.hold(appid, id);
  if (!turn.held && deployment.supersede && (await supersede(turn.holder))) turn = await engine.tenants.hold(appid, id);
  if (turn.held) {
    if (turn.tenant) heldTenant?.(turn.tenant);
    return target.state === 'waiting' ? engine.deployments.wake(id, appid) : target;
  }

  await engine.tenants.waitFor(appid, id);
  const waiting = target.state === 'waiting' ? target : await engine.deployments.waitForTenant(id, appid, turn.holder);
  if (!waiting) return undefined; // moved meanwhile by another delivery
  // The holder may have let go between the hold and the waitFor, and then woken nobody: look once more.
  if ((await engine.tenants.hold(appid, id)).held) return engine.deployments.wake(id, appid);
  logger.info('target waits for another deployment on its tenant', { deploymentId: id, appid, holder: turn.holder });
  await engine.deployQueue.send([{ kind: 'advance', deploymentId: id, appid }], WAIT_RECHECK_SECONDS);
  return undefined;
}

/**
 * After a target moved: if its deployment is done with the tenant for now, let go of it and wake
 * the deployments waiting for it.
 */
export async function letGoIfSettled(engine: Pick<DeployEngine, 'tenants' | 'deployQueue'>, deployment: Pick<Deployment, 'id' | 'submitAudit'>, target: Target): Promise<void> {
  if (!settlesHold(deployment, target)) return;
  await wakeWaiting(engine, target.appid, await engine.tenants.letGo(target.appid, deployment.id));
}

/**
 * A released target is done with its tenant: the release is recorded and the hold let go of in one
 * write, which answers the deployments waiting for the tenant. Undefined when that write could not
 * (the hold already gone, or a later release recorded): the release is then recorded on its own
 * terms, and letting go is the caller's.
 */
export async function recordReleaseAndLetGo(engine: Pick<DeployEngine, 'tenants'>, deployment: Pick<Deployment, 'id' | 'userVersion'>, target: Target): Promise<string[] | undefined> {
  const at = target.releasedAtMs ?? Date.now();
  const waiting = await engine.tenants.recordReleaseAndLetGo(target.appid, deployment.id, deployment.userVersion, at);
  if (waiting) return waiting;
  await engine.tenants.recordRelease(target.appid, deployment.userVersion, at);
  return undefined;
}

/**
 * The tenant's holder may be done with it and not have let go: its worker died between landing the
 * step that settles its target and the write that lets go (no message is left to do that write,
 * and its deployment completes). The deployment asking for the tenant finishes it on the holder's
 * behalf; true when the hold is gone. Only a target that settled after the hold began: one the
 * operator retries is held again (since then) before it moves on, and keeps its hold.
 */
async function finishHoldersLetGo(engine: DeployEngine, appid: string, refused: { holder: string; heldSinceMs?: number }, asking: string): Promise<boolean> {
  const { holder, heldSinceMs } = refused;
  if (heldSinceMs === undefined) return false;
  const [holding, target] = await Promise.all([engine.deployments.get(holder), engine.deployments.getTarget(holder, appid)]);
  if (!holding || !target || !settlesHold(holding, target) || target.updatedAtMs < heldSinceMs) return false;
  logger.warn('tenant held by a deployment whose target had settled: let go of on its behalf', { appid, holder, state: target.state });
  const waiting = (target.state === 'released' && (await recordReleaseAndLetGo(engine, holding, target))) || (await engine.tenants.letGo(appid, holder));
  // The asking deployment takes the turn; the others waiting look again (and wait for it).
  await wakeWaiting(engine, appid, waiting.filter((id) => id !== asking));
  return true;
}

/** Whether the target's deployment is done with its tenant for now. */
function settlesHold(deployment: Pick<Deployment, 'submitAudit'>, target: Target): boolean {
  return LETS_GO_OF_TENANT.has(target.state) || (target.state === 'committed' && !deployment.submitAudit);
}

/** The tenant was let go of: the deployments waiting for it take their turn. */
export async function wakeWaiting(engine: Pick<DeployEngine, 'deployQueue'>, appid: string, waiting: string[]): Promise<void> {
  if (waiting.length) await engine.deployQueue.send(waiting.map((deploymentId) => ({ kind: 'advance' as const, deploymentId, appid })));
}
