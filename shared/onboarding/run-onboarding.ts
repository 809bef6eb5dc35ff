/**
 * The onboarding pipeline: once a registration's mini-program is a tenant, its plan is applied step
 * by step from the deploy queue (`onboard` messages), each step's outcome kept on the registration.
 * Every step is claimed by a conditional write, so a redelivered or duplicated message runs none
 * twice; a claim left by a crashed worker is taken over after STALE_CLAIM_MS. WeChat's reviews (a
 * name, a sensitive category) settle their step when the result push arrives.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../db/conditional';
import type { DeployMessage } from '../deployments/deploy-messages';
import { Conflict, DomainError } from '../errors';
import { logger } from '../logger';
import { refreshReadiness } from '../readiness/refresh-readiness';
import type { Registration } from '../registrations/registrations';
import { registrationIdOf, getRegistration } from '../registrations/registrations';
import type { Services } from '../services';
import { BASIC_INFO_REFUSALS } from '../tenant-profile/basic-info';
import { CATEGORY_REFUSALS } from '../tenant-profile/categories';
import { isWeChatApiError } from '../wechat/errors';
import { loadPlan } from './onboarding-plan';
import { onboardingState, type StepOutcome } from './onboarding-state';
import { NeedsMaterials, ONBOARDING_STEPS, type StepName } from './onboarding-steps';

/** A step claimed longer ago than this was left by a worker that died: another may run it. */
export const STALE_CLAIM_MS = 3 * 60_000;

type Store = Pick<Services, 'db' | 'table'>;
const registrationKey = (id: string) => ({ pk: `REGISTRATION#${id}`, sk: 'META' });

/**
 * After a tenant was created (or a result push linked its registration): names the registration on
 * the tenant and, when it carries a plan not yet carried out, queues its onboarding. Quiet when the
 * appid is no registration's; a repeat queues a message that finds its steps done.
 */
export async function requestOnboarding(services: Pick<Services, 'db' | 'table' | 'tenants' | 'deployQueue'>, appid: string): Promise<void> {
  const registrationId = await registrationIdOf(services, appid);
  if (!registrationId) return;
  // No tenant yet (a trial's result push comes before its authorization): the authorization's turn comes.
  if (!(await services.tenants.linkRegistration(appid, registrationId))) return;
  const registration = await getRegistration(services, registrationId);
  // Only steps not yet carried out make it worth a message (a failed one waits for the operator's retry).
  if (onboardingState(registration) !== undefined && unfinished(registration).length > 0) await services.deployQueue.send([{ kind: 'onboard', registrationId } satisfies DeployMessage]);
}

function unfinished(registration: Registration): StepName[] {
  const onboarding = registration.onboarding;
  return onboarding ? onboarding.wants.filter((step) => [undefined, 'running'].includes(onboarding.steps[step]?.state)) : [];
}

/** Runs every step of the plan that has no outcome yet (or a stale claim), in order, then reads the release gates again. */
export async function runOnboarding(services: Services, registrationId: string, nowMs = Date.now()): Promise<void> {
  const registration = await getRegistration(services, registrationId);
  if (!registration.onboarding || registration.status !== 'created' || !registration.appid) return;
  const tenant = await services.tenants.get(registration.appid);
  if (!tenant || tenant.status !== 'active') {
    logger.warn('onboarding waits: the mini-program is not an active tenant', { registrationId, appid: registration.appid });
    return;
  }
  const plan = await loadPlan(services, registrationId);
  if (!plan) throw new Error(`registration ${registrationId} has no stored onboarding plan`);
  const wechat = services.wechat.tenant(registration.appid);
  let ran = false;
  for (const step of ONBOARDING_STEPS) {
    if (!registration.onboarding.wants.includes(step.name)) continue;
    if (!(await claimStep(services, registrationId, step.name, nowMs))) {
      // Settled already: on to the next. Running elsewhere: that run carries on in order (a later
      // step may need an earlier one, the privacy guide's {{config.…}} the configuration).
      if ((await getRegistration(services, registrationId)).onboarding?.steps[step.name]?.state === 'running') return;
      continue;
    }
    ran = true;
    let outcome: Omit<StepOutcome, 'atMs'>;
    try {
      // The configuration step may have changed the tenant: each step sees it as stored now.
      const current = (await services.tenants.get(registration.appid)) ?? tenant;
      outcome = await step.run({ services, wechat, tenant: current, plan, kind: registration.kind, nowMs });
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined) {
        // Passing trouble: the claim is let go and the queue brings the message back.
        await releaseStep(services, registrationId, step.name);
        throw error;
      }
      outcome = { state: 'failed', message: `${step.title}: ${refusal}` };
    }
    await finishStep(services, registrationId, step.name, { ...outcome, atMs: Date.now() }, 'running');
    logger.info('onboarding step finished', { registrationId, step: step.name, state: outcome.state });
  }
  if (ran) await refreshReadiness(services, registration.appid).catch((error: unknown) => logger.warn('could not check the release gates after onboarding; the schedule will', { error: error as Error }));
}

/** A refusal that running the step again will not change, in words; undefined for passing trouble. */
function refusalOf(error: unknown): string | undefined {
  if (error instanceof NeedsMaterials) return error.message;
  if (error instanceof DomainError) return error.message;
  if (isWeChatApiError(error) && !error.network && error.errorClass === 'permanent') {
    const why = BASIC_INFO_REFUSALS[error.code] ?? CATEGORY_REFUSALS[error.code] ?? 'WeChat refused it';
    return `${why} (${error.code} ${error.errmsg})`;
  }
  return undefined;
}

async function claimStep(store: Store, registrationId: string, step: StepName, nowMs: number): Promise<boolean> {
  return conditionHeld(
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: registrationKey(registrationId),
        UpdateExpression: 'SET onboarding.steps.#step = :running',
        ConditionExpression: 'attribute_not_exists(onboarding.steps.#step) OR (onboarding.steps.#step.#state = :runningState AND onboarding.steps.#step.atMs < :stale)',
        ExpressionAttributeNames: { '#step': step, '#state': 'state' },
        ExpressionAttributeValues: { ':running': { state: 'running', atMs: nowMs }, ':runningState': 'running', ':stale': nowMs - STALE_CLAIM_MS },
      }),
    ),
  );
}

async function releaseStep(store: Store, registrationId: string, step: StepName): Promise<void> {
  await store.db.send(new UpdateCommand({ TableName: store.table, Key: registrationKey(registrationId), UpdateExpression: 'REMOVE onboarding.steps.#step', ExpressionAttributeNames: { '#step': step } }));
}

/** Moves a step from `from` to its outcome; false when it is no longer there (settled by another). */
async function finishStep(store: Store, registrationId: string, step: StepName, outcome: StepOutcome, from: StepOutcome['state']): Promise<boolean> {
  return conditionHeld(
    store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: registrationKey(registrationId),
        UpdateExpression: 'SET onboarding.steps.#step = :outcome, updatedAtMs = :now',
        ConditionExpression: 'onboarding.steps.#step.#state = :from',
        ExpressionAttributeNames: { '#step': step, '#state': 'state' },
        ExpressionAttributeValues: { ':outcome': outcome, ':from': from, ':now': outcome.atMs },
      }),
    ),
  );
}

/**
 * A review WeChat decided (its push): settles the registration's step waiting on it. `subject` is
 * the category (first:second) for a category review. Nothing happens for a tenant without a
 * registration, or a step not under review.
 */
export async function settleReviewedStep(
  services: Pick<Services, 'db' | 'table' | 'tenants'>,
  appid: string,
  step: 'nickName' | 'categories',
  decision: { approved: boolean; reason?: string; subject?: string },
): Promise<void> {
  const registrationId = (await services.tenants.get(appid))?.registrationId;
  if (!registrationId) return;
  const registration = await getRegistration(services, registrationId);
  const current = registration.onboarding?.steps[step];
  if (current?.state !== 'in_review') return;
  const nowMs = Date.now();
  let outcome: StepOutcome;
  if (!decision.approved) {
    outcome = { state: 'failed', message: `WeChat rejected ${step === 'nickName' ? 'the name' : `the category ${decision.subject ?? ''}`}: ${decision.reason || 'no reason given'}`, atMs: nowMs };
  } else {
    const awaiting = (current.awaiting ?? []).filter((pair) => pair !== decision.subject);
    outcome = awaiting.length > 0 && step === 'categories' ? { ...current, awaiting, atMs: nowMs } : { state: 'done', message: 'approved by WeChat', atMs: nowMs };
  }
  await finishStep(services, registrationId, step, outcome, 'in_review');
}

/** The operator's retry: failed steps are forgotten and the onboarding queued again; answers the registration as it is then. */
export async function retryRegistrationOnboarding(services: Pick<Services, 'db' | 'table' | 'deployQueue'>, id: string): Promise<Registration> {
  const registration = await getRegistration(services, id);
  if (!registration.onboarding) throw new Conflict('no_onboarding', `registration ${id} carries no onboarding plan`);
  if (registration.status !== 'created') throw new Conflict(`registration_${registration.status}`, `registration ${id} is ${registration.status}: the onboarding runs once its mini-program exists`);
  const failed = registration.onboarding ? registration.onboarding.wants.filter((step) => registration.onboarding!.steps[step]?.state === 'failed') : [];
  for (const step of failed) {
    await conditionHeld(
      services.db.send(
        new UpdateCommand({
          TableName: services.table,
          Key: registrationKey(registration.id),
          UpdateExpression: 'REMOVE onboarding.steps.#step',
          ConditionExpression: 'onboarding.steps.#step.#state = :failed',
          ExpressionAttributeNames: { '#step': step, '#state': 'state' },
          ExpressionAttributeValues: { ':failed': 'failed' },
        }),
      ),
    );
  }
  if (failed.length === 0 && unfinished(registration).length === 0) throw new Conflict('nothing_to_retry', `no onboarding step of ${id} failed`);
  await services.deployQueue.send([{ kind: 'onboard', registrationId: registration.id }]);
  return getRegistration(services, id);
}
