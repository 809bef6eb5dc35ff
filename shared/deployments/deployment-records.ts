import { booleanField, definedFields, numberField, objectField, required as requiredField, stringField } from '../db/item-fields';
import type { AuditOutcome } from './audit-results';
import type { Deployment, RestingTarget, Target, TargetError, TargetTally } from './deployment';
import { STEP_NAMES, TARGET_STATES, type StepName, type TargetState } from './target-machine';
import { BULK_ACTIONS, type BulkAction } from './deployment';

/**
 * Stored items back into typed records. Storage keys and index fields are dropped; a field of the
 * wrong type is left out rather than passed on as something it is not, and an item without its
 * identity or state is refused (it would not be a target at all).
 */
type Item = Record<string, unknown>;

const str = stringField;
const num = numberField;
const bool = booleanField;
const obj = <T>(value: unknown) => objectField(value) as T | undefined;
const state = (value: unknown) => (TARGET_STATES.includes(value as TargetState) ? (value as TargetState) : undefined);
const stepName = (value: unknown) => (STEP_NAMES.includes(value as StepName) ? (value as StepName) : undefined);
const auditStatus = (value: unknown) => (['approved', 'rejected', 'delayed', 'withdrawn'].includes(value as string) ? (value as AuditOutcome['status']) : undefined);

/** An operator action pending on the deployment; stored as its bare name before it carried a time. */
function pendingAction(value: unknown, item: Item): Deployment['pendingAction'] {
  if (typeof value === 'string' && BULK_ACTIONS.includes(value as BulkAction)) return { action: value as BulkAction, atMs: num(item.updatedAtMs) ?? 0 };
  const pending = obj<{ action?: unknown; atMs?: unknown }>(value);
  if (pending && BULK_ACTIONS.includes(pending.action as BulkAction) && num(pending.atMs) !== undefined) return { action: pending.action as BulkAction, atMs: pending.atMs as number };
  return undefined;
}

const defined = definedFields;
const required = <T>(value: T | undefined, field: string, item: Item): T => requiredField(value, `${String(item.pk)}/${String(item.sk)}`, field);

export function targetFromItem(item: Item): Target {
  return defined<Target>({
    deploymentId: required(str(item.deploymentId), 'deploymentId', item),
    appid: required(str(item.appid), 'appid', item),
    state: required(state(item.state), 'state', item),
    wave: num(item.wave),
    attempts: num(item.attempts) ?? 0,
    auditId: num(item.auditId),
    submittedAtMs: num(item.submittedAtMs),
    auditDelayed: bool(item.auditDelayed),
    reason: str(item.reason),
    screenshot: str(item.screenshot),
    error: obj<TargetError>(item.error),
    earlyAuditOutcome: obj<AuditOutcome>(item.earlyAuditOutcome),
    stepStartedAtMs: num(item.stepStartedAtMs),
    step: stepName(item.step),
    resumeFrom: state(item.resumeFrom),
    recommits: num(item.recommits),
    delayReason: str(item.delayReason),
    committedAtMs: num(item.committedAtMs),
    auditsOursSinceMs: num(item.auditsOursSinceMs),
    approvedAtMs: num(item.approvedAtMs),
    releasedAtMs: num(item.releasedAtMs),
    grayPercentage: num(item.grayPercentage),
    rollbackTo: obj<Target['rollbackTo']>(item.rollbackTo),
    rolledBackAtMs: num(item.rolledBackAtMs),
    waitingFor: str(item.waitingFor),
    auditOutcome: auditStatus(item.auditOutcome),
    previousRejection: str(item.previousRejection),
    refused: stepName(item.refused),
    createdAtMs: num(item.createdAtMs) ?? 0,
    updatedAtMs: num(item.updatedAtMs) ?? 0,
  });
}

export function deploymentFromItem(item: Item): Deployment {
  const templateType = num(item.templateType);
  const release = str(item.release);
  return defined<Deployment>({
    id: required(str(item.id), 'id', item),
    templateId: required(num(item.templateId), 'templateId', item),
    templateType: templateType === 1 ? 1 : 0,
    userVersion: required(str(item.userVersion), 'userVersion', item),
    userDesc: str(item.userDesc) ?? '',
    tenants: Array.isArray(item.tenants) ? item.tenants.filter((t): t is string => typeof t === 'string') : undefined,
    ext: obj<Deployment['ext']>(item.ext),
    submitAudit: bool(item.submitAudit) ?? true,
    release: release === 'manual' ? 'manual' : 'auto',
    auditItems: Array.isArray(item.auditItems) ? (item.auditItems as Deployment['auditItems']) : undefined,
    versionDesc: str(item.versionDesc),
    privacyApiNotUse: bool(item.privacyApiNotUse),
    domains: obj<Deployment['domains']>(item.domains),
    webviewDomains: Array.isArray(item.webviewDomains) ? item.webviewDomains.filter((d): d is string => typeof d === 'string') : undefined,
    supersede: bool(item.supersede),
    profile: obj<Deployment['profile']>(item.profile),
    waves: Array.isArray(item.waves) ? (item.waves as Deployment['waves']) : undefined,
    waveEnds: Array.isArray(item.waveEnds) ? item.waveEnds.filter((n): n is number => typeof n === 'number') : undefined,
    advance: item.advance === 'manual' ? 'manual' : obj<{ afterMinutes: number }>(item.advance),
    haltWhen: obj<Deployment['haltWhen']>(item.haltWhen),
    createdAtMs: num(item.createdAtMs) ?? 0,
    updatedAtMs: num(item.updatedAtMs) ?? 0,
    fanOutDone: bool(item.fanOutDone) ?? false,
    fanOutCursor: str(item.fanOutCursor),
    pausedReason: str(item.pausedReason),
    pausedCode: str(item.pausedCode),
    releaseRequested: obj<Deployment['releaseRequested']>(item.releaseRequested),
    revertGrayRequested: bool(item.revertGrayRequested),
    cancelRequested: bool(item.cancelRequested),
    withdrawAudits: bool(item.withdrawAudits),
    rollbackRequested: bool(item.rollbackRequested),
    resubmission: obj<Deployment['resubmission']>(item.resubmission),
    pendingAction: pendingAction(item.pendingAction, item),
    lastSweptAtMs: num(item.lastSweptAtMs),
    waveProgress: obj<Deployment['waveProgress']>(item.waveProgress),
  });
}

/** What a tally needs of a target: its state and what decides its next step. */
export function restingFromItem(item: Item): RestingTarget {
  return defined<RestingTarget>({ state: required(state(item.state), 'state', item), grayPercentage: num(item.grayPercentage), refused: stepName(item.refused), wave: num(item.wave) });
}

/** Counts targets per state and per group of equal resting fields. */
export class TallyBuilder {
  private readonly counts: TargetTally['counts'] = {};
  private readonly byWave: TargetTally['counts'][] = [];
  private readonly groups = new Map<string, { target: RestingTarget; n: number }>();

  add(target: RestingTarget): void {
    this.counts[target.state] = (this.counts[target.state] ?? 0) + 1;
    const wave = target.wave ?? 0;
    for (let w = this.byWave.length; w <= wave; w++) this.byWave.push({});
    this.byWave[wave]![target.state] = (this.byWave[wave]![target.state] ?? 0) + 1;
    const key = `${target.state}|${target.grayPercentage ?? ''}|${target.refused ?? ''}|${wave}`;
    const group = this.groups.get(key);
    if (group) group.n += 1;
    else this.groups.set(key, { target, n: 1 });
  }

  done(): TargetTally {
    return { counts: this.counts, byWave: this.byWave, groups: [...this.groups.values()] };
  }
}
