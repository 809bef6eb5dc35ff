import { logger } from '../logger';
import type { XmlFields } from '../wechat/xml';
import type { AuditStatus } from '../wechat/types';
import type { Target } from './deployment';
import type { DeployEngine } from './engine-ports';
import { letGoIfSettled } from './tenant-turns';

type AuditEngine = Pick<DeployEngine, 'deployments' | 'deployQueue' | 'tenants'>;

export type AuditOutcome =
  | { status: 'approved' }
  | { status: 'rejected'; reason: string; screenshot?: string }
  | { status: 'delayed'; reason?: string }
  | { status: 'withdrawn' };

/** What an audit status from get_auditstatus / get_latest_auditstatus decides; undefined while under review. */
export function outcomeOfStatus(status: AuditStatus, reason?: string, screenshot?: string): AuditOutcome | undefined {
  switch (status) {
    case 0:
      return { status: 'approved' };
    case 1:
      return { status: 'rejected', reason: reason ?? 'rejected by WeChat', screenshot };
    case 3:
      return { status: 'withdrawn' };
    case 4:
      return { status: 'delayed' };
    default:
      return undefined;
  }
}

/**
 * Applies an audit result to the target that is auditing. Pushes, their retries and the
 * reconciler may all report the same result: only the first moves the target. A result that
 * arrives while submit_audit is still answering is parked on the target and applied as soon as
 * the target is auditing, so it is never lost.
 */
export async function applyAuditOutcome(engine: AuditEngine, deploymentId: string, appid: string, outcome: AuditOutcome): Promise<Target | undefined> {
  const moved = await moveAuditingTarget(engine, deploymentId, appid, outcome);
  if (moved) return moved;
  if (await engine.deployments.parkAuditOutcome(deploymentId, appid, outcome)) {
    logger.info('audit result arrived before submit_audit answered; parked', { deploymentId, appid, status: outcome.status });
    return undefined;
  }
  // The submit landed between the two writes above: the target is auditing now.
  return moveAuditingTarget(engine, deploymentId, appid, outcome);
}

async function moveAuditingTarget(engine: AuditEngine, deploymentId: string, appid: string, outcome: AuditOutcome): Promise<Target | undefined> {
  const store = engine.deployments;
  const deployment = await store.get(deploymentId);
  if (!deployment) return undefined;
  // A cancelled deployment's target ends cancelled, whatever WeChat decided: nothing is released.
  const moved = await store.recordAuditOutcome(deploymentId, appid, outcome, !!deployment.cancelRequested);
  if (moved) await letGoIfSettled(engine, deployment, moved);
  // Releasing is a step of its own (auto mode, or when the operator asks): through the queue.
  // Sent again when a repeat finds the target already approved — an earlier send may have
  // failed after the transition, and a duplicate step message is harmless.
  if (outcome.status === 'approved' && !deployment.cancelRequested && (moved || (await store.getTarget(deploymentId, appid))?.state === 'approved')) {
    await engine.deployQueue.send([{ kind: 'advance', deploymentId, appid }]);
  }
  if (moved) logger.info('audit result applied', { deploymentId, appid, status: outcome.status });
  return moved;
}

/** An audit push (weapp_audit_success / fail / delay) for a tenant: applied to its auditing deployment. */
export async function applyAuditPush(services: AuditEngine & Pick<DeployEngine, 'tenants'>, appid: string, fields: XmlFields): Promise<void> {
  const tenant = await services.tenants.get(appid);
  if (!tenant?.auditingDeployment) {
    logger.info('audit push for a tenant with no deployment under audit', { appid });
    return;
  }
  const str = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
  const outcome: AuditOutcome | undefined =
    fields.Event === 'weapp_audit_success'
      ? { status: 'approved' }
      : fields.Event === 'weapp_audit_fail'
        ? { status: 'rejected', reason: str('Reason') ?? 'rejected by WeChat', screenshot: str('ScreenShot') }
        : fields.Event === 'weapp_audit_delay'
          ? { status: 'delayed', reason: str('Reason') }
          : undefined;
  if (!outcome) return;
  const moved = await applyAuditOutcome(services, tenant.auditingDeployment, appid, outcome);
  // A newer deployment's submit may have been refused (85009) while this audit was under review.
  if (!moved && tenant.previousAuditingDeployment) await applyAuditOutcome(services, tenant.previousAuditingDeployment, appid, outcome);
}
