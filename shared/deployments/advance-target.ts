import { logger } from '../logger';
import { blockedError, blocker } from '../readiness/blockers';
import { auditItemsFor, gateBlockers, privacyGuideFor } from '../readiness/deployment-gates';
import { icpStateOf } from '../readiness/readiness';
import { refreshReadinessQuietly } from '../readiness/refresh-readiness';
import type { Tenant } from '../tenants/tenant';
import { ExtJsonError, buildExtJson } from '../tenant-config/ext-json';
import { TenantUnusableError } from '../tokens/errors';
import type { TenantClient } from '../wechat/bound-clients';
import { ERRCODE, TICKET_REFUSED } from '../wechat/errcodes';
import { isWeChatApiError, type WeChatApiError } from '../wechat/errors';
import type { LatestAuditStatusResponse } from '../wechat/types';
import { applyAuditOutcome, outcomeOfStatus } from './audit-results';
import type { BatchReads } from './batch-reads';
import type { Deployment, RestingTarget, Target, TargetError } from './deployment';
import type { LandPatch } from './deployment-store';
import { dueStep } from './due-step';
import type { DeployEngine } from './engine-ports';
import { explainWeChatError, GateBlocked, StepRefused } from './refusals';
import { CANCELLABLE, claimedNext, IN_FLIGHT, LETS_GO_OF_TENANT, STEPS, stepInFlight, type StepName } from './target-machine';
import { letGoIfSettled, recordReleaseAndLetGo, takeTurn, wakeWaiting } from './tenant-turns';

/** An in-flight step older than this was abandoned (the worker died mid-call) and may be taken over. */
export const STALE_STEP_MS = Number(process.env.DEPLOY_STALE_STEP_SECONDS ?? 120) * 1000;
/** Retryable WeChat errors (-1, 45011, network, quota 45009) are retried this many times. */
export const MAX_ATTEMPTS = 5;
const BACKOFF_BASE_SECONDS = Number(process.env.DEPLOY_BACKOFF_BASE_SECONDS ?? 2);
/** The code privacy scan (61039) takes minutes: wait longer, and longer still before giving up. */
const PRIVACY_SCAN_WAIT_SECONDS = Number(process.env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS ?? 60);
const MAX_PRIVACY_SCAN_WAITS = 20;
/** 85086 (nothing committed) sends the target back to commit; this often and no more. */
const MAX_RECOMMITS = 3;
/** WeChat stamps submissions in whole seconds on its own clock. */
const SUBMIT_TIME_SLACK_MS = 5_000;

/** One claimed step of one target: everything its call, recovery and bookkeeping need. */
interface StepRun {
  engine: DeployEngine;
  deployment: Deployment;
  /** The target as claimed (in the step's in-flight state). */
  target: Target;
  step: StepName;
  /** When the claim started: only the owner of this claim may move the target on. */
  startedAtMs: number;
  /** Set on a takeover: when the abandoned claim started (its WeChat call may have landed). */
  abandonedAtMs?: number;
  wechat: TenantClient;
  /** The tenant, read once per advance (the hold's answer primes it): its steps need the same one. */
  tenant: () => Promise<Tenant | undefined>;
}

/** What a step does with WeChat; its states come from the target machine (STEPS), when it runs from dueStep. */
interface StepBehaviour {
  /** Bookkeeping that must be in place before WeChat hears of the step. */
  beforeCall?: (run: StepRun) => Promise<void>;
  call: (run: StepRun) => Promise<LandPatch>;
  /** Errors this step understands better than the generic error classes. */
  recover?: (run: StepRun, error: WeChatApiError) => Promise<Target | undefined | 'unhandled'>;
  /** Tenant bookkeeping once the step has landed; `letGo`: it let go of the tenant too, these were waiting. */
  afterLanding?: (run: StepRun, landed: Target) => Promise<void | { letGo: string[] }>;
}

/**
 * Runs the next step(s) of one target, whatever state it is in. Each step is claimed by a
 * conditional transition into its in-flight state, so a duplicate or redelivered message finds
 * the target already moved and does nothing: no WeChat call is repeated once it succeeded. The
 * deployment is read again before each step, so an operator's word (cancel, release, rollback)
 * given while a step ran counts for the next one.
 */
export async function advanceTarget(engine: DeployEngine, deploymentId: string, appid: string, batch?: BatchReads): Promise<void> {
  let target = await (batch ? batch.target(engine, deploymentId, appid) : engine.deployments.getTarget(deploymentId, appid));
  // The deployment as read last, at most as old as the step before: a step that may be stopped by a
  // cancel reads it again once claimed, and the next step starts from that read (the batch's read first).
  let latest = batch ? await batch.deployment(engine, deploymentId) : undefined;
  const readFromNow = batch ? (id: string) => batch.deploymentFromNow(engine, id) : (id: string) => engine.deployments.get(id);
  const tenant = readOnce(() => engine.tenants.get(appid));
  // A step the last landing claimed in the same write: ours to run, without claiming it again.
  let claimed: Target | undefined;
  while (target) {
    const deployment = latest ?? (await engine.deployments.get(deploymentId));
    if (!deployment) return;
    let next: { step: StepName; takeover: boolean } | undefined;
    if (claimed?.step) {
      next = { step: claimed.step, takeover: false };
    } else {
      if (deployment.cancelRequested && CANCELLABLE.includes(target.state)) {
        // Cancelled while waiting (or recorded after the cancel): settle it rather than leave it be.
        const cancelled = await engine.deployments.cancelTarget(deploymentId, appid);
        if (cancelled) await letGoIfSettled(engine, deployment, cancelled);
        return;
      }
      if (target.state === 'queued' || target.state === 'waiting') {
        target = await takeTurn(engine, deployment, target, (holder) => supersede(engine, deployment, appid, holder), tenant.prime);
        if (!target) return;
      }
      next = nextStep(deployment, target);
    }
    if (!next) {
      await checkBackLater(engine, deployment, target);
      return;
    }
    const ran = await runStep(engine, deployment, target, next.step, next.takeover, tenant.get, claimed, readFromNow);
    target = ran?.target;
    latest = ran?.deployment;
    claimed = ran?.claimedNext ? target : undefined;
  }
}

/** A read done at most once, or given beforehand. */
function readOnce<T>(read: () => Promise<T>): { get: () => Promise<T>; prime: (value: T) => void } {
  let value: Promise<T> | undefined;
  return { get: () => (value ??= read()), prime: (known) => void (value ??= Promise.resolve(known)) };
}

/**
 * A step in flight that is not yet stale may belong to a worker that died: look again once it
 * would be stale, so the target is taken over instead of stranded (this message is done with).
 */
async function checkBackLater(engine: DeployEngine, deployment: Deployment, target: Target): Promise<void> {
  if (!IN_FLIGHT.has(target.state) || typeof target.stepStartedAtMs !== 'number') return;
  const staleInMs = target.stepStartedAtMs + STALE_STEP_MS - Date.now();
  await engine.deployQueue.send([{ kind: 'advance', deploymentId: deployment.id, appid: target.appid }], Math.ceil(staleInMs / 1000) + 1);
}

function nextStep(deployment: Deployment, target: Target): { step: StepName; takeover: boolean } | undefined {
  const inFlight = stepInFlight(target);
  if (inFlight) {
    const stale = typeof target.stepStartedAtMs === 'number' && Date.now() - target.stepStartedAtMs > STALE_STEP_MS;
    return stale ? { step: inFlight, takeover: true } : undefined;
  }
  const step = dueStep(deployment, target);
  return step ? { step, takeover: false } : undefined;
}

async function runStep(
  engine: DeployEngine,
  deployment: Deployment,
  target: Target,
  step: StepName,
  takeover: boolean,
  tenant: () => Promise<Tenant | undefined>,
  /** The target as the last landing claimed this step for us (land_and_claim). */
  claimedAlready?: Target,
  /** Reads the deployment as it is now (a batch shares such reads). */
  readFromNow: (id: string) => Promise<Deployment | undefined> = (id) => engine.deployments.get(id),
): Promise<{ target?: Target; deployment?: Deployment; claimedNext?: boolean } | undefined> {
  const startedAtMs = claimedAlready?.stepStartedAtMs ?? Date.now();
  const abandonedAtMs = takeover ? target.stepStartedAtMs : undefined;
  const claimed = claimedAlready ?? (await engine.deployments.claimStep(deployment.id, target.appid, step, startedAtMs, abandonedAtMs !== undefined ? { abandonedAtMs } : undefined));
  if (!claimed) return undefined; // another delivery owns this step

  // Claim, then check: a cancel accepted before this read stops the call; one accepted after it
  // found this step already in flight, and in-flight calls land.
  const checked = STEPS[step].stoppedByCancel ? await readFromNow(deployment.id) : undefined;
  if (checked?.cancelRequested) {
    const cancelled = await engine.deployments.cancelUnstarted(deployment.id, target.appid, step, startedAtMs);
    if (cancelled) await letGoIfSettled(engine, deployment, cancelled);
    return undefined;
  }
  const run: StepRun = { engine, deployment: checked ?? deployment, target: claimed, step, startedAtMs, abandonedAtMs, wechat: engine.wechat.tenant(target.appid), tenant };
  const behaviour = STEP_BEHAVIOUR[step];
  let landed: LandPatch;
  try {
    await behaviour.beforeCall?.(run);
    landed = await behaviour.call(run);
  } catch (error) {
    return { target: await handleFailure(run, error), ...(checked ? { deployment: checked } : {}) };
  }
  const done = await land(run, landed);
  return { target: done, ...(checked ? { deployment: checked } : {}), ...(done && done.state !== STEPS[step].to ? { claimedNext: true } : {}) };
}

/**
 * Moves the target on from its step (WeChat accepted it, or had already done it). When the step
 * that follows is due at once (commit → submit), the same write claims it for this worker.
 */
async function land(run: StepRun, patch: LandPatch): Promise<Target | undefined> {
  const { engine, deployment, target } = run;
  const done = claimsNextOnLanding(run, patch)
    ? await engine.deployments.landAndClaim(deployment.id, target.appid, run.step, run.startedAtMs, patch, Date.now())
    : await engine.deployments.landStep(deployment.id, target.appid, run.step, run.startedAtMs, patch);
  if (!done) return undefined;
  const after = await STEP_BEHAVIOUR[run.step].afterLanding?.(run, done);
  if (after) await wakeWaiting(engine, done.appid, after.letGo);
  else await letGoIfSettled(engine, deployment, done);
  logger.info('target advanced', { deploymentId: deployment.id, appid: done.appid, state: done.state, step: run.step });
  return done;
}

function claimsNextOnLanding(run: StepRun, patch: LandPatch): boolean {
  const next = claimedNext(run.step);
  if (!next) return false;
  const landed = { ...run.target, ...patch, state: STEPS[run.step].to, attempts: 0 } as RestingTarget;
  return dueStep(run.deployment, landed) === next;
}

/** Puts the target back before the step (optionally re-enqueued after a delay) so it runs again. */
async function revert(
  run: StepRun,
  patch: { attempts: number; error: TargetError; recommits?: number },
  retryInSeconds: number | undefined,
  recommit = false,
): Promise<undefined> {
  const { engine, deployment, target } = run;
  const reverted = await engine.deployments.revertStep(deployment.id, target.appid, run.step, run.startedAtMs, patch, recommit);
  if (reverted && retryInSeconds !== undefined) {
    await engine.deployQueue.send([{ kind: 'advance', deploymentId: deployment.id, appid: target.appid }], retryInSeconds);
  }
  return undefined;
}

/**
 * The step cannot succeed. A step that acts on a live version (rollback, gray revert) or on an
 * audit (withdrawal) never fails its target: WeChat's refusal leaves it as it was, with the
 * refusal as its error. The others end failed (retryable by the operator) or skipped.
 */
async function stop(run: StepRun, to: 'failed' | 'blocked' | 'skipped', error: TargetError): Promise<Target | undefined> {
  const { engine, deployment, target, step } = run;
  if (REFUSABLE_STEPS.has(step)) return refuse(run, error);
  logger.warn('target stopped', { deploymentId: deployment.id, appid: target.appid, state: to, error });
  const stopped = await engine.deployments.stopStep(deployment.id, target.appid, step, run.startedAtMs, to, error);
  if (stopped) await letGoIfSettled(engine, deployment, stopped);
  return stopped;
}

const REFUSABLE_STEPS: ReadonlySet<StepName> = new Set(['rollback', 'rollback_gray', 'revert_gray', 'withdraw']);

async function refuse(run: StepRun, error: TargetError): Promise<undefined> {
  const { engine, deployment, target, step } = run;
  logger.warn('WeChat refused the step; the target stays as it was', { deploymentId: deployment.id, appid: target.appid, step, error });
  // Not asked again (a refused withdrawal: the audit runs on and its result settles the target)
  // until the operator issues the action again.
  await engine.deployments.refuseStep(deployment.id, target.appid, step, run.startedAtMs, error);
  return undefined;
}

function errorOf(error: WeChatApiError): TargetError {
  return { code: error.network ? 'network' : error.code, message: explainWeChatError(error) };
}

/**
 * The audit of our version WeChat has, if it was submitted since this target's commit (or
 * resubmission): a submit_audit that landed before its worker died or its answer was lost.
 * Tenants are held by one deployment at a time, so an audit of our version from then on is ours.
 */
async function ourAuditAtWeChat(run: StepRun): Promise<LatestAuditStatusResponse | undefined> {
  let latest: LatestAuditStatusResponse;
  try {
    latest = await run.wechat.getLatestAuditStatus();
  } catch (error) {
    if (isWeChatApiError(error) && error.code === ERRCODE.INVALID_AUDIT_ID) return undefined; // nothing ever submitted
    throw error;
  }
  const sinceMs = run.target.auditsOursSinceMs ?? run.deployment.createdAtMs;
  const submittedAtMs = (latest.submit_audit_time ?? 0) * 1000;
  return latest.user_version === run.deployment.userVersion && submittedAtMs >= sinceMs - SUBMIT_TIME_SLACK_MS ? latest : undefined;
}

/** Lands the submit on an audit WeChat already has; a decided one is applied at once. */
async function adoptAudit(run: StepRun, audit: LatestAuditStatusResponse): Promise<Target | undefined> {
  const submittedAtMs = audit.submit_audit_time ? audit.submit_audit_time * 1000 : Date.now();
  const adopted = await land(run, { auditId: audit.auditid, submittedAtMs, auditDelayed: audit.status === 4 });
  const decided = outcomeOfStatus(audit.status, audit.reason, audit.ScreenShot);
  if (adopted && decided && decided.status !== 'delayed') return applyAuditOutcome(run.engine, run.deployment.id, adopted.appid, decided);
  return adopted;
}

/** Grayrelease, or a plan that already has this percentage (our earlier call landed before a crash). */
async function grayTo(run: StepRun): Promise<LandPatch> {
  const wanted = run.deployment.releaseRequested?.grayPercentage;
  if (wanted === undefined) throw new Error(`${run.step} without a requested gray percentage`);
  try {
    await run.wechat.grayRelease({ gray_percentage: wanted });
  } catch (error) {
    if (!isWeChatApiError(error) || error.code !== ERRCODE.GRAY_NOT_HIGHER) throw error;
  }
  // The state records what WeChat's plan says, not what we asked for.
  const { gray_release_plan: plan } = await run.wechat.getGrayReleasePlan();
  if (plan.status !== 1 || plan.gray_percentage < wanted) {
    throw new StepRefused('gray_not_running', `WeChat's gray release plan is at ${plan.gray_percentage}% (status ${plan.status}), not ${wanted}%`);
  }
  return { grayPercentage: plan.gray_percentage };
}

/** revertgrayrelease, or a plan WeChat already reverted (our earlier call landed before a crash). */
async function revertGray(run: StepRun): Promise<void> {
  try {
    await run.wechat.revertGrayRelease();
  } catch (error) {
    if (!isWeChatApiError(error)) throw error;
    const { gray_release_plan: plan } = await run.wechat.getGrayReleasePlan();
    if (plan.status === 4) return;
    throw error;
  }
}

/** release: the approved version (or the gray one) fully online; the tenant's released version follows. */
const FULLY_ONLINE: StepBehaviour = {
  call: async ({ wechat }) => {
    await wechat.release();
    return { releasedAtMs: Date.now() };
  },
  // 85052: already released — our release landed before a crash. 85020 for a mini-program without an ICP filing.
  recover: async (run, error) => {
    if (error.code === ERRCODE.ALREADY_RELEASED) return land(run, { releasedAtMs: Date.now() });
    if (error.code === ERRCODE.STATUS_NOT_ALLOWED) return icpRefusal(run, error);
    return 'unhandled';
  },
  // Released, the deployment is done with the tenant: the release is recorded and the hold let go of in one write.
  afterLanding: async ({ engine, deployment }, landed) => {
    const waiting = await recordReleaseAndLetGo(engine, deployment, landed);
    if (waiting) return { letGo: waiting };
  },
};

/**
 * The template's privacy guide, applied before submit_audit to a tenant whose stored readiness
 * says it has none. WeChat's own privacy pre-checks are not read ahead: submit_audit answers 61039
 * while the code scan runs and 61040 when it finds something, a refused submit costs no quota, and
 * every tenant is spared a call.
 */
async function applyPrivacyGuide(run: StepRun, tenant: Tenant | undefined): Promise<void> {
  const guide = run.deployment.profile?.privacy;
  if (!guide || !tenant || tenant.readiness?.privacy.configured === true) return;
  await run.wechat.setPrivacySetting(privacyGuideFor(guide, tenant));
  // The tenant's readiness stops listing the missing guide.
  await refreshReadinessQuietly(run.engine, tenant.appid);
}

/**
 * 61040 from submit_audit, explained from WeChat's own reads: privacy APIs the code uses without a
 * grant or a declaration (get_code_privacy_info names them), else a missing privacy guide (applied
 * from the profile and submitted again, once).
 */
async function privacyRefusal(run: StepRun, error: WeChatApiError): Promise<Target | undefined> {
  const { deployment, target, wechat } = run;
  const scan = await wechat.getCodePrivacyInfo();
  const ungranted = scan.without_auth_list ?? [];
  if (ungranted.length) return stop(run, 'blocked', blockedError(blocker('privacy_api_not_granted', `the code calls ${ungranted.join(', ')}, which WeChat has not granted this mini-program (61040)`)));
  const undeclared = scan.without_conf_list ?? [];
  if (undeclared.length) return stop(run, 'blocked', blockedError(blocker('privacy_api_undeclared', `the code calls ${undeclared.join(', ')} without declaring ${undeclared.length > 1 ? 'them' : 'it'} (61040)`)));
  const setting = await wechat.getPrivacySetting(2);
  if ((setting.setting_list ?? []).length > 0) return stop(run, 'failed', errorOf(error));
  const guide = deployment.profile?.privacy;
  const tenant = await run.tenant();
  // Applied once already (the last attempt's refusal is this one's): the guide WeChat wants is not the profile's.
  if (!guide || !tenant || target.error?.code === ERRCODE.PRIVACY_CHECK_FAILED) {
    return stop(run, 'blocked', blockedError(blocker('privacy_not_configured', `WeChat refused the audit: the mini-program has no privacy guide (61040: ${error.errmsg})`)));
  }
  await wechat.setPrivacySetting(privacyGuideFor(guide, tenant));
  return revert(run, { attempts: target.attempts + 1, error: errorOf(error) }, 0);
}

/** A refused release of a mini-program whose ICP filing is not done ends blocked with its ICP state; other refusals are WeChat's. */
async function icpRefusal(run: StepRun, error: WeChatApiError): Promise<Target | undefined | 'unhandled'> {
  const { info } = await run.wechat.getIcpEntranceInfo();
  const state = icpStateOf(info.status);
  if (state === 'filed') return 'unhandled';
  const code = state === 'in_review' ? 'icp_in_review' : state === 'rejected' ? 'icp_rejected' : 'icp_not_filed';
  return stop(run, 'blocked', blockedError(blocker(code, `WeChat refused the release: the ICP filing is ${state.replace('_', ' ')} (status ${info.status}; ${error.code}: ${error.errmsg})`)));
}

/** The tenant shows the gray release WeChat's plan runs (the fleet page's gray column). */
async function recordGray({ engine, deployment }: StepRun, landed: Target): Promise<void> {
  if (landed.grayPercentage !== undefined) await engine.tenants.recordGray(landed.appid, deployment.userVersion, landed.grayPercentage);
}

const STEP_BEHAVIOUR: Record<StepName, StepBehaviour> = {
  commit: {
    call: async ({ deployment, target, wechat, tenant: tenantOf }) => {
      const tenant = await tenantOf();
      // The release gates, from the tenant's stored readiness: a tenant WeChat would refuse gets nothing committed.
      const [gate] = tenant ? gateBlockers(tenant, deployment.profile, { submitAudit: deployment.submitAudit }) : [];
      if (gate) throw new GateBlocked(gate);
      const domains = deployment.domains ?? deployment.profile?.domains;
      if (domains) await wechat.modifyDomain({ action: 'set', ...domains });
      if (deployment.webviewDomains) await wechat.setWebviewDomain({ action: 'set', webviewdomain: deployment.webviewDomains });
      const { extJson } = buildExtJson({
        appid: target.appid,
        templateType: deployment.templateType,
        deployDefaults: deployment.ext,
        tenantConfig: tenant?.config,
        tenant: { nickName: tenant?.nickName, principalName: tenant?.principalName, userName: tenant?.userName },
      });
      await wechat.commit({ template_id: deployment.templateId, ext_json: extJson, user_version: deployment.userVersion, user_desc: deployment.userDesc });
      const now = Date.now();
      return { committedAtMs: now, auditsOursSinceMs: now };
    },
  },

  submit: {
    // Audit pushes find the deployment through the tenant: point it there before WeChat can push.
    beforeCall: async ({ engine, deployment, target, tenant }) => engine.tenants.pointAuditAt(target.appid, deployment.id, await tenant()),
    call: async (run) => {
      const { deployment, target, wechat } = run;
      // A submit that may have landed (a takeover, or an attempt whose answer was an error) is
      // looked up first: submitting twice spends audit quota and mixes up the two audits.
      if (run.abandonedAtMs !== undefined || target.error || target.earlyAuditOutcome) {
        const ours = await ourAuditAtWeChat(run);
        if (ours) throw new AlreadySubmitted(ours);
      }
      const resubmission = target.previousRejection !== undefined ? deployment.resubmission : undefined;
      const tenant = await run.tenant();
      await applyPrivacyGuide(run, tenant);
      const items = resubmission?.auditItems ?? deployment.auditItems ?? (tenant?.readiness ? auditItemsFor(tenant.readiness.categories, deployment.profile?.auditItems) : undefined);
      const { auditid } = await wechat.submitAudit({
        ...(items?.length ? { item_list: items } : {}),
        version_desc: deployment.versionDesc ?? deployment.userDesc,
        ...(deployment.privacyApiNotUse !== undefined ? { privacy_api_not_use: deployment.privacyApiNotUse } : {}),
        ...(resubmission?.feedbackInfo ? { feedback_info: resubmission.feedbackInfo } : {}),
      });
      return { auditId: auditid, submittedAtMs: Date.now() };
    },
    // The audit result may have been pushed while submit_audit was still answering.
    afterLanding: async ({ engine, deployment }, landed) => {
      if (landed.earlyAuditOutcome) await applyAuditOutcome(engine, deployment.id, landed.appid, landed.earlyAuditOutcome);
    },
    recover: async (run, error) => {
      const { engine, deployment, target } = run;
      switch (error.code) {
        case ERRCODE.PRIVACY_SCAN_PENDING: {
          // WeChat's privacy scan of the new code is not done yet: try again in a minute.
          const waits = target.attempts + 1;
          if (waits > MAX_PRIVACY_SCAN_WAITS) return 'unhandled';
          return revert(run, { attempts: waits, error: errorOf(error) }, PRIVACY_SCAN_WAIT_SECONDS);
        }
        case ERRCODE.NOT_COMMITTED: {
          // WeChat has no commit for this version (e.g. replaced meanwhile): commit again, a few times.
          const recommits = (target.recommits ?? 0) + 1;
          if (recommits > MAX_RECOMMITS) return 'unhandled';
          return revert(run, { attempts: target.attempts, error: errorOf(error), recommits }, 0, true);
        }
        case ERRCODE.ALREADY_UNDER_AUDIT: {
          // A version is already under audit — ours if we submitted it (before a crash or a lost
          // answer): adopt it. Someone else's is the operator's call: fail and say so.
          const ours = await ourAuditAtWeChat(run);
          if (ours) return adoptAudit(run, ours);
          const latest = await run.wechat.getLatestAuditStatus();
          return stop(run, 'failed', {
            code: ERRCODE.ALREADY_UNDER_AUDIT,
            message: `another version (${latest.user_version ?? '?'}, auditid ${latest.auditid}) is already under audit: withdraw it or wait for its result, then retry`,
          });
        }
        case ERRCODE.AUDIT_QUOTA_EXHAUSTED:
          // Monthly audit quota used up: stop submitting for the whole deployment and say why.
          await engine.deployments.update(deployment.id, {
            pausedReason: `WeChat refused further audit submissions this month (85085): ${error.errmsg}`,
            pausedCode: 'audit_quota_exhausted',
          });
          return revert(run, { attempts: target.attempts, error: errorOf(error) }, undefined);
        case ERRCODE.BASIC_INFO_INCOMPLETE:
          return stop(run, 'blocked', blockedError(blocker('basic_info_incomplete', `WeChat refused the audit: the mini-program's name, avatar or introduction is not set (86002: ${error.errmsg})`)));
        case ERRCODE.CATEGORY_INVALID:
        case ERRCODE.CATEGORY_EXPIRED:
          return stop(run, 'blocked', blockedError(blocker('category_missing', `WeChat refused the audit items' categories (${error.code}: ${error.errmsg})`)));
        case ERRCODE.PRIVACY_CHECK_FAILED:
          return privacyRefusal(run, error);
        default:
          return 'unhandled';
      }
    },
  },

  withdraw: {
    call: async ({ deployment, wechat }) => {
      await wechat.undoCodeAudit();
      const why = deployment.cancelRequested ? 'the deployment was cancelled' : 'a newer deployment superseded this one';
      return { auditOutcome: 'withdrawn', error: { code: 'audit_withdrawn', message: `${why}: its audit was withdrawn (undocodeaudit)` } };
    },
  },

  release: FULLY_ONLINE,
  gray: { call: grayTo, afterLanding: recordGray, recover: (run, error) => (error.code === ERRCODE.STATUS_NOT_ALLOWED ? icpRefusal(run, error) : Promise.resolve('unhandled')) },
  widen: { call: grayTo, afterLanding: recordGray },
  // Completing a gray release is releasing it: the same call, fully online.
  complete: FULLY_ONLINE,

  revert_gray: {
    call: async (run) => {
      await revertGray(run);
      return {};
    },
    afterLanding: ({ engine, deployment }, landed) => engine.tenants.clearGray(landed.appid, deployment.userVersion),
  },

  rollback_gray: {
    call: async (run) => {
      await revertGray(run);
      return { rolledBackAtMs: Date.now() };
    },
    afterLanding: ({ engine, deployment }, landed) => engine.tenants.clearGray(landed.appid, deployment.userVersion),
  },

  rollback: {
    // Pinned to one version, so a redelivered rollback reverts once, not twice.
    call: async ({ engine, deployment, target, startedAtMs, wechat }) => {
      let pinned = target.rollbackTo;
      if (!pinned) {
        const { version_list } = await wechat.getHistoryVersion();
        const earlier = version_list.find((version) => version.user_version !== deployment.userVersion);
        if (!earlier) throw new StepRefused(ERRCODE.NO_EARLIER_VERSION, 'no earlier version to roll back to: this was the first release WeChat keeps');
        pinned = { appVersion: earlier.app_version, userVersion: earlier.user_version };
        if (!(await engine.deployments.pinRollback(deployment.id, target.appid, startedAtMs, pinned))) throw new StepLost();
      }
      const online = (await wechat.getVersionInfo()).release_info?.release_version;
      if (online === pinned.userVersion && online !== deployment.userVersion) return { rolledBackAtMs: Date.now() }; // it already happened
      if (online !== deployment.userVersion) {
        throw new StepRefused('not_online', `version ${online ?? '(none)'} is online, not ${deployment.userVersion}: there is nothing of this deployment to roll back`);
      }
      await wechat.revertCodeRelease(pinned.appVersion);
      return { rolledBackAtMs: Date.now() };
    },
    afterLanding: ({ engine, deployment }, landed) =>
      landed.rollbackTo ? engine.tenants.recordRollback(landed.appid, deployment.userVersion, landed.rollbackTo.userVersion, landed.rolledBackAtMs ?? Date.now()) : Promise.resolve(),
  },
};

/** Our submission is already at WeChat: adopt it instead of submitting again. */
class AlreadySubmitted extends Error {
  constructor(readonly audit: LatestAuditStatusResponse) {
    super(`audit ${audit.auditid} of this version is already at WeChat`);
  }
}

/** The claim was taken over while this worker was still busy: it writes nothing more. */
class StepLost extends Error {}

/** Decides what a failed step means for the target, by WeChat's error class (docs/wechat-protocol.md §4). */
async function handleFailure(run: StepRun, error: unknown): Promise<Target | undefined> {
  const { engine, target } = run;
  if (error instanceof AlreadySubmitted) return adoptAudit(run, error.audit);
  if (error instanceof StepLost) return undefined;
  if (error instanceof StepRefused) return stop(run, 'failed', { code: error.code, message: error.message });
  if (error instanceof GateBlocked) return stop(run, 'blocked', blockedError(error.blocker));
  if (error instanceof TenantUnusableError) {
    return stop(run, error.reason === 'revoked' ? 'skipped' : 'failed', { code: `tenant_${error.reason}`, message: error.message });
  }
  if (error instanceof ExtJsonError) return stop(run, 'failed', { code: 'invalid_ext_json', message: error.message });
  if (!isWeChatApiError(error)) {
    // Our own trouble (DynamoDB, a lease wait, no ticket yet): put the target back where the step
    // starts, so the redelivered message runs it again — and if the message dead-letters, a retry
    // finds it there instead of stuck in flight.
    const message = error instanceof Error ? error.message : String(error);
    await revert(run, { attempts: target.attempts, error: { code: 'internal', message } }, undefined).catch(() => undefined);
    throw error;
  }

  const recover = STEP_BEHAVIOUR[run.step].recover;
  const recovered = recover ? await recover(run, error) : 'unhandled';
  if (recovered !== 'unhandled') return recovered;

  // The platform's ticket was refused while refreshing a token: WeChat is asked to push a new
  // one, so this is worth retrying, not a fault of the tenant.
  const errorClass = TICKET_REFUSED.has(error.code) ? 'retryable' : error.errorClass;
  switch (errorClass) {
    case 'tenant_revoked':
      await engine.tenants.markUnusable(target.appid, 'revoked', `WeChat answered ${error.code}: authorization revoked`);
      return stop(run, 'skipped', errorOf(error));
    case 'needs_reauth':
      await engine.tenants.markUnusable(target.appid, 'needs_reauth', `WeChat answered ${error.code}: ${error.errmsg}`);
      logger.warn('tenant needs re-authorization', { appid: target.appid, code: error.code });
      return stop(run, 'failed', errorOf(error));
    case 'retryable':
    case 'token_invalid':
    case 'quota': {
      const attempts = target.attempts + 1;
      if (attempts >= MAX_ATTEMPTS) return stop(run, 'failed', errorOf(error));
      // Exponential backoff; quota and frequency limits wait longer.
      const base = errorClass === 'quota' ? BACKOFF_BASE_SECONDS * 8 : BACKOFF_BASE_SECONDS;
      return revert(run, { attempts, error: errorOf(error) }, base * 2 ** (attempts - 1));
    }
    default:
      return stop(run, 'failed', errorOf(error));
  }
}

/**
 * Takes the tenant over from the deployment holding it, when this deployment was created with
 * `supersede`: the holder's target is cancelled if it has not reached WeChat's audit, or its audit
 * is withdrawn (undocodeaudit) if it has. A target in flight or in a gray release is left to
 * finish: this one waits. True when the holder let go (the caller then takes its turn).
 */
async function supersede(engine: DeployEngine, deployment: Deployment, appid: string, holder: string): Promise<boolean> {
  const [older, olderTarget] = await Promise.all([engine.deployments.get(holder), engine.deployments.getTarget(holder, appid)]);
  let settled = olderTarget;
  if (older && olderTarget) {
    if (CANCELLABLE.includes(olderTarget.state)) {
      settled = await engine.deployments.cancelTarget(holder, appid, { code: 'superseded', message: `superseded by deployment ${deployment.id}` });
      if (settled) await letGoIfSettled(engine, older, settled);
    } else if (olderTarget.state === 'auditing' && olderTarget.refused !== 'withdraw') {
      await runStep(engine, older, olderTarget, 'withdraw', false, () => engine.tenants.get(appid)); // lets go of the tenant when it lands
      settled = await engine.deployments.getTarget(holder, appid);
    }
  }
  if (settled && !LETS_GO_OF_TENANT.has(settled.state)) return false;
  // Settled but still holding (its worker died between the two writes): the hold is stale.
  await engine.tenants.handOver(appid, holder, deployment.id);
  logger.info('tenant taken over from an older deployment', { appid, deploymentId: deployment.id, superseded: holder });
  return true;
}
