import { logger } from '../logger';
import { ExtJsonError, buildExtJson } from '../tenant-config/ext-json';
import { TenantUnusableError } from '../tokens/errors';
import type { TenantClient } from '../wechat/bound-clients';
import { ERRCODE, TICKET_REFUSED } from '../wechat/errcodes';
import { isWeChatApiError, type WeChatApiError } from '../wechat/errors';
import { applyAuditOutcome } from './audit-results';
import type { Deployment, Target, TargetError } from './deployment';
import type { LandPatch } from './deployment-store';
import type { DeployEngine } from './engine-ports';
import { IN_FLIGHT, stepFrom, stepInFlight, type StepName } from './target-machine';

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

/** One claimed step of one target: everything its call, recovery and bookkeeping need. */
interface StepRun {
  engine: DeployEngine;
  deployment: Deployment;
  /** The target as claimed (in the step's in-flight state). */
  target: Target;
  step: StepName;
  /** When the claim started: only the owner of this claim may move the target on. */
  startedAtMs: number;
  wechat: TenantClient;
}

/** What a step does with WeChat; its states come from the target machine (STEPS). */
interface StepBehaviour {
  /** Whether a target at the step's start runs it now, given the deployment. */
  due: (deployment: Deployment) => boolean;
  /** Bookkeeping that must be in place before WeChat hears of the step. */
  beforeCall?: (run: StepRun) => Promise<void>;
  call: (run: StepRun) => Promise<LandPatch>;
  /** Errors this step understands better than the generic error classes. */
  recover?: (run: StepRun, error: WeChatApiError) => Promise<Target | undefined | 'unhandled'>;
}

/**
 * Runs the next step(s) of one target, whatever state it is in. Each step is claimed by a
 * conditional transition into its in-flight state, so a duplicate or redelivered message finds
 * the target already moved and does nothing: no WeChat call is repeated once it succeeded.
 */
export async function advanceTarget(engine: DeployEngine, deploymentId: string, appid: string): Promise<void> {
  const deployment = await engine.deployments.get(deploymentId);
  let target = await engine.deployments.getTarget(deploymentId, appid);
  if (!deployment || !target) return;
  if (deployment.cancelRequested && (target.state === 'queued' || target.state === 'committed')) {
    // Cancelled while waiting (or recorded after the cancel): settle it rather than leave it queued.
    await engine.deployments.cancelTarget(deploymentId, appid);
    return;
  }
  // Successive steps run inline (commit, then submit): fewer queue hops, same guarantees.
  while (target) {
    const next = nextStep(deployment, target);
    if (!next) {
      await checkBackLater(engine, deployment, target);
      return;
    }
    target = await runStep(engine, deployment, target, next.step, next.takeover);
  }
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
  const inFlight = stepInFlight(target.state);
  if (inFlight) {
    const stale = typeof target.stepStartedAtMs === 'number' && Date.now() - target.stepStartedAtMs > STALE_STEP_MS;
    return stale ? { step: inFlight, takeover: true } : undefined;
  }
  const step = stepFrom(target.state);
  return step && STEP_BEHAVIOUR[step].due(deployment) ? { step, takeover: false } : undefined;
}

async function runStep(engine: DeployEngine, deployment: Deployment, target: Target, step: StepName, takeover: boolean): Promise<Target | undefined> {
  const startedAtMs = Date.now();
  const claimed = await engine.deployments.claimStep(
    deployment.id,
    target.appid,
    step,
    startedAtMs,
    takeover && target.stepStartedAtMs !== undefined ? { abandonedAtMs: target.stepStartedAtMs } : undefined,
  );
  if (!claimed) return undefined; // another delivery owns this step

  const run: StepRun = { engine, deployment, target: claimed, step, startedAtMs, wechat: engine.wechat.tenant(target.appid) };
  const behaviour = STEP_BEHAVIOUR[step];
  let landed: LandPatch;
  try {
    await behaviour.beforeCall?.(run);
    landed = await behaviour.call(run);
  } catch (error) {
    return handleFailure(run, error);
  }
  return land(run, landed);
}

/** Moves the target on from its step (WeChat accepted it, or had already done it). */
async function land(run: StepRun, patch: LandPatch): Promise<Target | undefined> {
  const { engine, deployment, target } = run;
  const done = await engine.deployments.landStep(deployment.id, target.appid, run.step, run.startedAtMs, patch);
  if (!done) return undefined;
  // The audit result may have been pushed while submit_audit was still answering.
  if (done.state === 'auditing' && done.earlyAuditOutcome) await applyAuditOutcome(engine, deployment.id, done.appid, done.earlyAuditOutcome);
  if (done.state === 'released') await engine.tenants.recordRelease(done.appid, deployment.userVersion, deployment.createdAtMs);
  logger.info('target advanced', { deploymentId: deployment.id, appid: done.appid, state: done.state });
  return done;
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

async function stop(run: StepRun, to: 'failed' | 'skipped', error: TargetError): Promise<Target | undefined> {
  logger.warn('target stopped', { deploymentId: run.deployment.id, appid: run.target.appid, state: to, error });
  return run.engine.deployments.stopStep(run.deployment.id, run.target.appid, run.step, run.startedAtMs, to, error);
}

function errorOf(error: WeChatApiError): TargetError {
  return { code: error.network ? 'network' : error.code, message: error.errmsg };
}

const STEP_BEHAVIOUR: Record<StepName, StepBehaviour> = {
  commit: {
    due: () => true,
    call: async ({ engine, deployment, target, wechat }) => {
      if (deployment.domains) await wechat.modifyDomain({ action: 'set', ...deployment.domains });
      if (deployment.webviewDomains) await wechat.setWebviewDomain({ action: 'set', webviewdomain: deployment.webviewDomains });
      const tenant = await engine.tenants.get(target.appid);
      const { extJson } = buildExtJson({
        appid: target.appid,
        templateType: deployment.templateType,
        deployDefaults: deployment.ext,
        tenantConfig: tenant?.config,
        tenant: { nickName: tenant?.nickName, principalName: tenant?.principalName, userName: tenant?.userName },
      });
      await wechat.commit({ template_id: deployment.templateId, ext_json: extJson, user_version: deployment.userVersion, user_desc: deployment.userDesc });
      return { committedAtMs: Date.now() };
    },
  },

  submit: {
    due: (deployment) => deployment.submitAudit && !deployment.pausedReason,
    // Audit pushes find the deployment through the tenant: point it there before WeChat can push.
    beforeCall: ({ engine, deployment, target }) => engine.tenants.pointAuditAt(target.appid, deployment.id),
    call: async ({ deployment, wechat }) => {
      const { auditid } = await wechat.submitAudit({
        ...(deployment.auditItems?.length ? { item_list: deployment.auditItems } : {}),
        version_desc: deployment.versionDesc ?? deployment.userDesc,
        ...(deployment.privacyApiNotUse !== undefined ? { privacy_api_not_use: deployment.privacyApiNotUse } : {}),
      });
      return { auditId: auditid, submittedAtMs: Date.now() };
    },
    recover: async (run, error) => {
      const { engine, deployment, target, wechat } = run;
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
          // A version is already under audit — ours if its version matches (submitted before a crash
          // or a timed-out answer): adopt it. Someone else's is the operator's call: fail and say so.
          const latest = await wechat.getLatestAuditStatus();
          const underReview = latest.status === 2 || latest.status === 4;
          if (!underReview) return 'unhandled';
          if (latest.user_version !== deployment.userVersion) {
            return stop(run, 'failed', { code: ERRCODE.ALREADY_UNDER_AUDIT, message: `version ${latest.user_version ?? '?'} is already under audit (auditid ${latest.auditid})` });
          }
          return land(run, { auditId: latest.auditid, submittedAtMs: Date.now(), auditDelayed: latest.status === 4 });
        }
        case ERRCODE.AUDIT_QUOTA_EXHAUSTED:
          // Monthly audit quota used up: stop submitting for the whole deployment and say why.
          await engine.deployments.update(deployment.id, { pausedReason: `WeChat refused further audit submissions this month (85085): ${error.errmsg}` });
          return revert(run, { attempts: target.attempts, error: errorOf(error) }, undefined);
        default:
          return 'unhandled';
      }
    },
  },

  release: {
    due: (deployment) => deployment.release === 'auto' || !!deployment.releaseRequested,
    call: async ({ deployment, wechat }) => {
      const gray = deployment.releaseRequested?.grayPercentage;
      if (gray !== undefined) await wechat.grayRelease({ gray_percentage: gray });
      else await wechat.release();
      return { releasedAtMs: Date.now(), ...(gray !== undefined ? { grayPercentage: gray } : {}) };
    },
    // 85052: already released — our release landed before a crash.
    recover: (run, error) => (error.code === ERRCODE.ALREADY_RELEASED ? land(run, { releasedAtMs: Date.now() }) : Promise.resolve('unhandled')),
  },

  rollback: {
    due: (deployment) => !!deployment.rollbackRequested,
    call: async ({ wechat }) => {
      await wechat.revertCodeRelease();
      return { rolledBackAtMs: Date.now() };
    },
  },
};

/** Decides what a failed step means for the target, by WeChat's error class (docs/wechat-protocol.md §4). */
async function handleFailure(run: StepRun, error: unknown): Promise<Target | undefined> {
  const { engine, target } = run;
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

  const recovered = STEP_BEHAVIOUR[run.step].recover ? await STEP_BEHAVIOUR[run.step].recover!(run, error) : 'unhandled';
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
