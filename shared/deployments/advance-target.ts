import { logger } from '../logger';
import type { Services } from '../services';
import { ExtJsonError, buildExtJson } from '../tenant-config/ext-json';
import { TenantUnusableError } from '../tokens/errors';
import { isWeChatApiError, type WeChatApiError } from '../wechat/errors';
import { applyAuditOutcome } from './audit-results';
import { IN_FLIGHT, type Deployment, type Target, type TargetError, type TargetState } from './deployment';
import { auditIndexKey, AUDITING_PARTITION } from './deployment-store';

/** An in-flight step older than this was abandoned (the worker died mid-call) and may be taken over. */
export const STALE_STEP_MS = Number(process.env.DEPLOY_STALE_STEP_SECONDS ?? 120) * 1000;
/** Retryable WeChat errors (-1, 45011, network, quota 45009) are retried this many times. */
export const MAX_ATTEMPTS = 5;
const BACKOFF_BASE_SECONDS = Number(process.env.DEPLOY_BACKOFF_BASE_SECONDS ?? 2);
/** The code privacy scan (61039) takes minutes: wait longer, and longer still before giving up. */
const PRIVACY_SCAN_WAIT_SECONDS = Number(process.env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS ?? 60);
const MAX_PRIVACY_SCAN_WAITS = 20;
const TICKET_REFUSED = new Set([61005, 61006]);
/** 85086 (nothing committed) sends the target back to commit; this often and no more. */
const MAX_RECOMMITS = 3;

type CallResult = { set?: Record<string, unknown>; remove?: string[] };

interface Step {
  /** Where the step starts, the in-flight state while WeChat is called, and where it ends. */
  from: TargetState;
  via: TargetState;
  to: TargetState;
  call: (services: Services, deployment: Deployment, target: Target, token: string) => Promise<CallResult>;
  /** Bookkeeping that must be in place before WeChat hears of the step. */
  beforeCall?: (services: Services, deployment: Deployment, target: Target) => Promise<void>;
  /** Errors this step understands better than the generic error classes. */
  recover?: (services: Services, deployment: Deployment, target: Target, error: WeChatApiError, startedAtMs: number) => Promise<Target | undefined | 'unhandled'>;
}

/**
 * Runs the next step(s) of one target, whatever state it is in. Each step is claimed by a
 * conditional transition into its in-flight state, so a duplicate or redelivered message finds
 * the target already moved and does nothing: no WeChat call is repeated once it succeeded.
 */
export async function advanceTarget(services: Services, deploymentId: string, appid: string): Promise<void> {
  const deployment = await services.deployments.get(deploymentId);
  let target = await services.deployments.getTarget(deploymentId, appid);
  if (!deployment || !target) return;
  if (deployment.cancelRequested && (target.state === 'queued' || target.state === 'committed')) {
    // Cancelled while waiting (or recorded after the cancel): settle it rather than leave it queued.
    await services.deployments.transition(deploymentId, appid, { from: ['queued', 'committed'], to: 'cancelled' });
    return;
  }
  // Successive steps run inline (commit, then submit): fewer queue hops, same guarantees.
  while (target) {
    const step = nextStep(deployment, target);
    if (!step) {
      await checkBackLater(services, deployment, target);
      return;
    }
    target = await runStep(services, deployment, target, step.step, step.takeover);
  }
}

/**
 * A step in flight that is not yet stale may belong to a worker that died: look again once it
 * would be stale, so the target is taken over instead of stranded (this message is done with).
 */
async function checkBackLater(services: Services, deployment: Deployment, target: Target): Promise<void> {
  if (!IN_FLIGHT.has(target.state) || typeof target.stepStartedAtMs !== 'number') return;
  const staleInMs = target.stepStartedAtMs + STALE_STEP_MS - Date.now();
  await services.deployQueue.send([{ kind: 'advance', deploymentId: deployment.id, appid: target.appid }], Math.ceil(staleInMs / 1000) + 1);
}

function nextStep(deployment: Deployment, target: Target): { step: Step; takeover: boolean } | undefined {
  const stale = typeof target.stepStartedAtMs === 'number' && Date.now() - target.stepStartedAtMs > STALE_STEP_MS;
  switch (target.state) {
    case 'queued':
      return { step: COMMIT, takeover: false };
    case 'committed':
      return deployment.submitAudit && !deployment.pausedReason ? { step: SUBMIT, takeover: false } : undefined;
    case 'approved':
      return deployment.release === 'auto' || deployment.releaseRequested ? { step: RELEASE, takeover: false } : undefined;
    case 'released':
      return deployment.rollbackRequested ? { step: ROLLBACK, takeover: false } : undefined;
    case 'committing':
      return stale ? { step: COMMIT, takeover: true } : undefined;
    case 'submitting':
      return stale ? { step: SUBMIT, takeover: true } : undefined;
    case 'releasing':
      return stale ? { step: RELEASE, takeover: true } : undefined;
    case 'rolling_back':
      return stale ? { step: ROLLBACK, takeover: true } : undefined;
    default:
      return undefined;
  }
}

async function runStep(services: Services, deployment: Deployment, target: Target, step: Step, takeover: boolean): Promise<Target | undefined> {
  const store = services.deployments;
  const startedAtMs = Date.now();
  const claimed = takeover
    ? await store.transition(deployment.id, target.appid, {
        from: [step.via],
        to: step.via,
        set: { stepStartedAtMs: startedAtMs },
        condition: 'stepStartedAtMs = :abandoned',
        values: { ':abandoned': target.stepStartedAtMs },
      })
    : await store.transition(deployment.id, target.appid, { from: [step.from], to: step.via, set: { stepStartedAtMs: startedAtMs } });
  if (!claimed) return undefined; // another delivery owns this step

  let result: CallResult;
  try {
    await step.beforeCall?.(services, deployment, claimed);
    result = await services.authorizerTokens.forTenant(target.appid).use((token) => step.call(services, deployment, claimed, token));
  } catch (error) {
    return handleFailure(services, deployment, claimed, step, error, startedAtMs);
  }
  const done = await store.transition(deployment.id, target.appid, {
    from: [step.via],
    to: step.to,
    set: { ...result.set, attempts: 0 },
    remove: ['error', 'stepStartedAtMs', ...(result.remove ?? [])],
    condition: 'stepStartedAtMs = :mine',
    values: { ':mine': startedAtMs },
  });
  if (done) await afterStep(services, deployment, done);
  return done;
}

/** Tenant-level bookkeeping once a step has landed. */
async function afterStep(services: Services, deployment: Deployment, target: Target): Promise<void> {
  // The audit result may have been pushed while submit_audit was still answering.
  if (target.state === 'auditing' && target.earlyAuditOutcome) await applyAuditOutcome(services, deployment.id, target.appid, target.earlyAuditOutcome);
  if (target.state === 'released') await services.tenants.recordRelease(target.appid, deployment.userVersion, deployment.createdAtMs);
  logger.info('target advanced', { deploymentId: deployment.id, appid: target.appid, state: target.state });
}

const COMMIT: Step = {
  from: 'queued',
  via: 'committing',
  to: 'committed',
  call: async (services, deployment, target, token) => {
    const api = services.authorizerApi;
    if (deployment.domains) await api.modifyDomain(token, { action: 'set', ...deployment.domains });
    if (deployment.webviewDomains) await api.setWebviewDomain(token, { action: 'set', webviewdomain: deployment.webviewDomains });
    const tenant = await services.tenants.get(target.appid);
    const { extJson } = buildExtJson({
      appid: target.appid,
      templateType: deployment.templateType,
      deployDefaults: deployment.ext,
      tenantConfig: tenant?.config as never,
      tenant: { nickName: tenant?.nickName, principalName: tenant?.principalName, userName: tenant?.userName },
    });
    await api.commit(token, {
      template_id: deployment.templateId,
      ext_json: extJson,
      user_version: deployment.userVersion,
      user_desc: deployment.userDesc,
    });
    return { set: { committedAtMs: Date.now() } };
  },
};

const SUBMIT: Step = {
  from: 'committed',
  via: 'submitting',
  to: 'auditing',
  // Audit pushes find the deployment through the tenant: point it there before WeChat can push.
  beforeCall: (services, deployment, target) => services.tenants.pointAuditAt(target.appid, deployment.id),
  call: async (services, deployment, target, token) => {
    const { auditid } = await services.authorizerApi.submitAudit(token, {
      ...(deployment.auditItems?.length ? { item_list: deployment.auditItems } : {}),
      version_desc: deployment.versionDesc ?? deployment.userDesc,
      ...(deployment.privacyApiNotUse !== undefined ? { privacy_api_not_use: deployment.privacyApiNotUse } : {}),
    });
    return auditingFields(deployment, target, auditid);
  },
  recover: async (services, deployment, target, error, startedAtMs) => {
    const store = services.deployments;
    if (error.code === 61039) {
      // WeChat's privacy scan of the new code is not done yet: try again in a minute.
      const waits = target.attempts + 1;
      if (waits > MAX_PRIVACY_SCAN_WAITS) return 'unhandled';
      return revert(services, deployment, target, 'committed', startedAtMs, errorOf(error), waits, PRIVACY_SCAN_WAIT_SECONDS);
    }
    if (error.code === 85086) {
      // WeChat has no commit for this version (e.g. replaced meanwhile): commit again, a few times.
      const recommits = (target.recommits ?? 0) + 1;
      if (recommits > MAX_RECOMMITS) return 'unhandled';
      await services.deployments.transition(deployment.id, target.appid, { from: ['submitting'], to: 'submitting', set: { recommits } });
      return revert(services, deployment, target, 'queued', startedAtMs, errorOf(error), target.attempts, 0);
    }
    if (error.code === 85009) {
      // A version is already under audit — ours if its version matches (submitted before a crash
      // or a timed-out answer): adopt it. Someone else's is the operator's call: fail and say so.
      const latest = await services.authorizerTokens.forTenant(target.appid).use((token) => services.authorizerApi.getLatestAuditStatus(token));
      const underReview = latest.status === 2 || latest.status === 4;
      if (underReview && latest.user_version !== deployment.userVersion) {
        return finish(services, deployment, target, 'failed', { code: 85009, message: `version ${latest.user_version ?? '?'} is already under audit (auditid ${latest.auditid})` }, startedAtMs);
      }
      if (underReview) {
        const adopted = await store.transition(deployment.id, target.appid, {
          from: ['submitting'],
          to: 'auditing',
          set: { ...auditingFields(deployment, target, latest.auditid).set, auditDelayed: latest.status === 4 },
          remove: ['error', 'stepStartedAtMs'],
          condition: 'stepStartedAtMs = :mine',
          values: { ':mine': startedAtMs },
        });
        if (adopted) await afterStep(services, deployment, adopted);
        return adopted;
      }
    }
    if (error.code === 85085) {
      // Monthly audit quota used up: stop submitting for the whole deployment and say why.
      await store.update(deployment.id, { pausedReason: `WeChat refused further audit submissions this month (85085): ${error.errmsg}` });
      return revert(services, deployment, target, 'committed', startedAtMs, errorOf(error), target.attempts, undefined);
    }
    return 'unhandled';
  },
};

const RELEASE: Step = {
  from: 'approved',
  via: 'releasing',
  to: 'released',
  call: async (services, deployment, _target, token) => {
    const gray = deployment.releaseRequested?.grayPercentage;
    if (gray !== undefined) await services.authorizerApi.grayRelease(token, { gray_percentage: gray });
    else await services.authorizerApi.release(token);
    return { set: { releasedAtMs: Date.now(), ...(gray !== undefined ? { grayPercentage: gray } : {}) } };
  },
  recover: async (services, deployment, target, error, startedAtMs) => {
    // 85052: already released — our release landed before a crash.
    if (error.code !== 85052) return 'unhandled';
    const done = await services.deployments.transition(deployment.id, target.appid, {
      from: ['releasing'],
      to: 'released',
      set: { releasedAtMs: Date.now() },
      remove: ['error', 'stepStartedAtMs'],
      condition: 'stepStartedAtMs = :mine',
      values: { ':mine': startedAtMs },
    });
    if (done) await afterStep(services, deployment, done);
    return done;
  },
};

const ROLLBACK: Step = {
  from: 'released',
  via: 'rolling_back',
  to: 'rolled_back',
  call: async (services, _deployment, _target, token) => {
    await services.authorizerApi.revertCodeRelease(token);
    return { set: { rolledBackAtMs: Date.now() } };
  },
};

function auditingFields(deployment: Deployment, target: Target, auditId: number): CallResult {
  const submittedAtMs = Date.now();
  return {
    set: {
      auditId,
      submittedAtMs,
      // Indexed while auditing, so the reconciler finds audits whose push never came.
      gsi1pk: AUDITING_PARTITION,
      gsi1sk: auditIndexKey(submittedAtMs, deployment.id, target.appid),
    },
  };
}

function errorOf(error: WeChatApiError): TargetError {
  return { code: error.network ? 'network' : error.code, message: error.errmsg };
}

/** Puts the target back before the step (optionally re-enqueued after a delay) so it runs again. */
async function revert(
  services: Services,
  deployment: Deployment,
  target: Target,
  to: TargetState,
  startedAtMs: number,
  error: TargetError,
  attempts: number,
  retryInSeconds: number | undefined,
): Promise<undefined> {
  const reverted = await services.deployments.transition(deployment.id, target.appid, {
    from: [target.state],
    to,
    set: { attempts, error },
    remove: ['stepStartedAtMs'],
    condition: 'stepStartedAtMs = :mine',
    values: { ':mine': startedAtMs },
  });
  if (reverted && retryInSeconds !== undefined) {
    await services.deployQueue.send([{ kind: 'advance', deploymentId: deployment.id, appid: target.appid }], retryInSeconds);
  }
  return undefined;
}

/** Where a failed target resumes on retry: the start of the step that failed, never an earlier one. */
const RESUME_FROM: Partial<Record<TargetState, TargetState>> = { committing: 'queued', submitting: 'committed', releasing: 'approved', rolling_back: 'released' };

async function finish(services: Services, deployment: Deployment, target: Target, to: 'failed' | 'skipped', error: TargetError, startedAtMs: number) {
  logger.warn('target stopped', { deploymentId: deployment.id, appid: target.appid, state: to, error });
  return services.deployments.transition(deployment.id, target.appid, {
    from: [target.state],
    to,
    set: { error, resumeFrom: RESUME_FROM[target.state] ?? 'queued' },
    remove: ['stepStartedAtMs', 'gsi1pk', 'gsi1sk'],
    condition: 'stepStartedAtMs = :mine',
    values: { ':mine': startedAtMs },
  });
}

/** Decides what a failed step means for the target, by WeChat's error class (protocol doc §4). */
async function handleFailure(services: Services, deployment: Deployment, target: Target, step: Step, error: unknown, startedAtMs: number): Promise<Target | undefined> {
  if (error instanceof TenantUnusableError) {
    const to = error.reason === 'revoked' ? 'skipped' : 'failed';
    return finish(services, deployment, target, to, { code: `tenant_${error.reason}`, message: error.message }, startedAtMs);
  }
  if (error instanceof ExtJsonError) {
    return finish(services, deployment, target, 'failed', { code: 'invalid_ext_json', message: error.message }, startedAtMs);
  }
  if (!isWeChatApiError(error)) {
    // Our own trouble (DynamoDB, a lease wait, no ticket yet): put the target back where the step
    // starts, so the redelivered message runs it again — and if the message dead-letters, a retry
    // finds it there instead of stuck in flight.
    await revert(services, deployment, target, step.from, startedAtMs, { code: 'internal', message: error instanceof Error ? error.message : String(error) }, target.attempts, undefined).catch(() => undefined);
    throw error;
  }

  const recovered = step.recover ? await step.recover(services, deployment, target, error, startedAtMs) : 'unhandled';
  if (recovered !== 'unhandled') return recovered;

  // The platform's ticket was refused while refreshing a token (61005/61006): WeChat is asked to
  // push a new one, so this is worth retrying, not a fault of the tenant.
  const errorClass = TICKET_REFUSED.has(error.code) ? 'retryable' : error.errorClass;
  switch (errorClass) {
    case 'tenant_revoked':
      await services.tenants.markUnusable(target.appid, 'revoked', `WeChat answered ${error.code}: authorization revoked`);
      return finish(services, deployment, target, 'skipped', errorOf(error), startedAtMs);
    case 'needs_reauth':
      await services.tenants.markUnusable(target.appid, 'needs_reauth', `WeChat answered ${error.code}: ${error.errmsg}`);
      logger.warn('tenant needs re-authorization', { appid: target.appid, code: error.code });
      return finish(services, deployment, target, 'failed', errorOf(error), startedAtMs);
    case 'retryable':
    case 'token_invalid':
    case 'quota': {
      const attempts = target.attempts + 1;
      if (attempts >= MAX_ATTEMPTS) return finish(services, deployment, target, 'failed', errorOf(error), startedAtMs);
      // Exponential backoff; quota and frequency limits wait longer.
      const base = errorClass === 'quota' ? BACKOFF_BASE_SECONDS * 8 : BACKOFF_BASE_SECONDS;
      return revert(services, deployment, target, step.from, startedAtMs, errorOf(error), attempts, base * 2 ** (attempts - 1));
    }
    default:
      return finish(services, deployment, target, 'failed', errorOf(error), startedAtMs);
  }
}
