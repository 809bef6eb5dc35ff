/**
 * Fast registrations (快速注册): mpfleet creates a mini-program for a merchant who has none. WeChat
 * starts a task the legal representative (enterprise), the user (personal) or the founder (trial)
 * confirms in WeChat; the result comes as a push to the authorization-event URL, and a created
 * mini-program is already authorized to the platform (component-push.ts makes it a tenant).
 * A registration moves awaiting_confirmation → created | failed; WeChat refusing the request
 * itself is a 4xx and records nothing.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { RegistrationView } from '../contract/operator-api';
import { ifConditionHeld } from '../db/conditional';
import { Conflict, InvalidInput, NotFound, Unprocessable } from '../errors';
import { parseOnboardingPlan, savePlan } from '../onboarding/onboarding-plan';
import { onboardingState, type Onboarding } from '../onboarding/onboarding-state';
import { ONBOARDING_STEPS, stepsWanted } from '../onboarding/onboarding-steps';
import type { Services } from '../services';
import { parseInput } from '../validation';
import { isWeChatApiError } from '../wechat/errors';
import type { XmlFields } from '../wechat/xml';

const text = (max: number) => z.string().trim().min(1).max(max);

/** The fields WeChat requires for each kind, under WeChat's own names. */
export const CreateRegistrationRequest = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('enterprise'),
      name: text(100),
      code: text(32),
      code_type: z.union([z.literal(1), z.literal(2), z.literal(3)]),
      legal_persona_wechat: text(64),
      legal_persona_name: text(64),
      component_phone: z.string().trim().max(32).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('personal'), idname: text(64), wxuser: text(64), component_phone: z.string().trim().max(32).optional() }).strict(),
  z.object({ kind: z.literal('trial'), name: text(30), openid: text(64) }).strict(),
]);
export type RegistrationRequest = z.infer<typeof CreateRegistrationRequest>;
export type RegistrationKind = RegistrationRequest['kind'];
export const REGISTRATION_STATUSES = ['awaiting_confirmation', 'created', 'failed'] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export interface Registration {
  id: string;
  kind: RegistrationKind;
  request: RegistrationRequest;
  status: RegistrationStatus;
  /** Personal: WeChat's taskid; trial: its unique_id. */
  taskId?: string;
  /** Where the person who must confirm does so (personal and trial). */
  authorizeUrl?: string;
  /** The mini-program created. */
  appid?: string;
  /** WeChat's status and message from the result push (or a search). */
  wechat?: { status: number; msg?: string };
  /** What mpfleet applies once the mini-program exists (the plan's steps and their outcomes). */
  onboarding?: Onboarding;
  createdAtMs: number;
  updatedAtMs: number;
}

/** Errcodes WeChat answers for a request it will not start: the operator fixes the request. */
const REFUSALS: Record<number, string> = {
  89249: 'this subject already has a registration in progress: try again 24 h after it started',
  86004: 'the WeChat ID is not valid',
  61070: "the name does not match the WeChat ID's real name",
  89248: 'code_type is not valid for the code',
  89253: 'a required field is missing',
  89255: 'the code does not fit its code_type',
  40003: 'the openid is not valid',
  47001: 'a field is malformed',
};

type Store = Pick<Services, 'db' | 'table'>;
const key = (id: string) => ({ pk: `REGISTRATION#${id}`, sk: 'META' });
const matchKey = (match: string) => ({ pk: `REGISTRATION-MATCH#${match}`, sk: 'META' });
/** Which registration created a mini-program. */
const appidKey = (appid: string) => ({ pk: `REGISTRATION-APPID#${appid}`, sk: 'META' });
const LIST = 'REGISTRATIONS';

/** What identifies a registration's result push: the subject (enterprise) or WeChat's task id. */
function matchOf(kind: RegistrationKind, fields: { name?: string; legal_persona_wechat?: string; taskid?: string; unique_id?: string }): string | undefined {
  if (kind === 'enterprise') return fields.name && fields.legal_persona_wechat ? `enterprise:${fields.name}:${fields.legal_persona_wechat}` : undefined;
  if (kind === 'personal') return fields.taskid ? `personal:${fields.taskid}` : undefined;
  return fields.unique_id ? `trial:${fields.unique_id}` : undefined;
}

/** What the merchant (or the operator) does next, in words. */
export function nextStep(registration: Registration): string {
  if (registration.status === 'created') {
    const state = onboardingState(registration);
    if (state === 'running') return `nothing: mpfleet is applying the onboarding plan to ${registration.appid}`;
    if (state === 'in_review') return `nothing: WeChat reviews what the onboarding submitted for ${registration.appid}; its result is pushed`;
    if (state === 'needs_attention') return `fix what the failed onboarding steps name (PUT /api/tenants/${registration.appid}/basic-info, POST …/categories), or retry them: POST /api/registrations/${registration.id}/onboarding/retry`;
    if (state === 'done') return `nothing: ${registration.appid} is a tenant with its onboarding applied; its readiness names what WeChat still needs (an ICP filing, say)`;
    return `nothing: ${registration.appid} is a tenant; give it a name, avatar, introduction and categories before its first release`;
  }
  if (registration.status === 'failed') return `WeChat failed the registration (status ${registration.wechat?.status}${registration.wechat?.msg ? `: ${registration.wechat.msg}` : ''}): fix it and register again`;
  if (registration.kind === 'enterprise') return `the legal representative (${registration.request.kind === 'enterprise' ? registration.request.legal_persona_wechat : ''}) confirms in WeChat, with face verification, within 24 h`;
  return `the ${registration.kind === 'personal' ? 'user' : 'founder'} confirms at ${registration.authorizeUrl ?? 'the link WeChat sent'} within 24 h`;
}

/** A registration as the API shows it: with what happens next, times as ISO strings. */
export function registrationView(registration: Registration): RegistrationView {
  const { createdAtMs, updatedAtMs, onboarding, ...rest } = registration;
  return {
    ...rest,
    ...(onboarding ? { onboarding: onboardingView(registration, onboarding) } : {}),
    next: nextStep(registration),
    createdAt: new Date(createdAtMs).toISOString(),
    updatedAt: new Date(updatedAtMs).toISOString(),
  };
}

function onboardingView(registration: Registration, onboarding: Onboarding): NonNullable<RegistrationView['onboarding']> {
  return {
    state: onboardingState(registration),
    steps: onboarding.wants.map((step) => {
      const outcome = onboarding.steps[step];
      return {
        step,
        title: ONBOARDING_STEPS.find((s) => s.name === step)?.title ?? step,
        state: outcome?.state ?? 'pending',
        ...(outcome?.message ? { message: outcome.message } : {}),
        ...(outcome ? { at: new Date(outcome.atMs).toISOString() } : {}),
      };
    }),
  };
}

export async function createRegistration(services: Pick<Services, 'db' | 'table' | 'wechat'>, body: unknown, nowMs = Date.now()): Promise<Registration> {
  const { onboarding: planInput, ...registrationBody } = isObject(body) ? body : { body };
  const request = parseInput(CreateRegistrationRequest, registrationBody);
  // The plan is checked in full before WeChat starts anything.
  const plan = planInput === undefined ? undefined : parseOnboardingPlan(planInput);
  if (plan?.nickName !== undefined && request.kind === 'trial') throw new InvalidInput('validation_failed', 'onboarding.nickName: a trial mini-program is named after its registration (name), with WeChat\'s suffix 的体验小程序');
  const { kind, ...fields } = request;
  let taskId: string | undefined;
  let authorizeUrl: string | undefined;
  try {
    if (kind === 'enterprise') await services.wechat.component.fastRegisterEnterprise('create', fields);
    else if (kind === 'personal') ({ taskid: taskId, authorize_url: authorizeUrl } = await services.wechat.component.fastRegisterPersonal('create', fields));
    else ({ unique_id: taskId, authorize_url: authorizeUrl } = await services.wechat.component.fastRegisterTrial(fields));
  } catch (error) {
    if (isWeChatApiError(error) && REFUSALS[error.code] !== undefined) throw new Unprocessable(`wechat_${error.code}`, `WeChat refused the registration: ${REFUSALS[error.code]} (${error.errmsg})`);
    throw error;
  }
  const registration: Registration = {
    id: `r-${nowMs.toString(36)}-${randomBytes(4).toString('hex')}`,
    kind,
    request,
    status: 'awaiting_confirmation',
    ...(taskId ? { taskId } : {}),
    ...(authorizeUrl ? { authorizeUrl } : {}),
    ...(plan ? { onboarding: { wants: stepsWanted(plan), steps: {} } } : {}),
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  };
  const match = matchOf(kind, { ...fields, taskid: taskId, unique_id: taskId });
  // The plan first: a registration never points at a plan that is not there.
  if (plan) await savePlan(services, registration.id, plan);
  await services.db.send(new PutCommand({ TableName: services.table, Item: { ...key(registration.id), ...registration, gsi1pk: LIST, gsi1sk: `${String(nowMs).padStart(15, '0')}#${registration.id}` } }));
  if (match) await services.db.send(new PutCommand({ TableName: services.table, Item: { ...matchKey(match), registrationId: registration.id } }));
  return registration;
}

export async function getRegistration(services: Store, id: string): Promise<Registration> {
  const { Item } = await services.db.send(new GetCommand({ TableName: services.table, Key: key(id), ConsistentRead: true }));
  if (!Item) throw new NotFound('registration_not_found', `no registration ${id}`);
  return fromItem(Item);
}

export async function listRegistrations(services: Store, status?: RegistrationStatus): Promise<Registration[]> {
  const found: Registration[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await services.db.send(
      new QueryCommand({ TableName: services.table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :list', ExpressionAttributeValues: { ':list': LIST }, ScanIndexForward: false, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) if (!status || item.status === status) found.push(fromItem(item));
    start = page.LastEvaluatedKey;
  } while (start && found.length < 500);
  return found;
}

/**
 * A result push (notify_third_fasteregister, notify_third_fastregisterbetaapp) moves its
 * registration, once: a repeated push finds it settled. A push for no registration of ours (made
 * outside mpfleet) changes nothing here.
 */
export async function applyRegistrationResult(services: Store, infoType: string, fields: XmlFields, nowMs = Date.now()): Promise<Registration | undefined> {
  const info = typeof fields.info === 'object' ? (fields.info as Record<string, unknown>) : {};
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const kind: RegistrationKind = infoType === 'notify_third_fastregisterbetaapp' ? 'trial' : str(info.wxuser) ? 'personal' : 'enterprise';
  const match = matchOf(kind, { name: str(info.name), legal_persona_wechat: str(info.legal_persona_wechat), taskid: str(info.taskid), unique_id: str(info.unique_id) });
  if (!match) return undefined;
  const { Item } = await services.db.send(new GetCommand({ TableName: services.table, Key: matchKey(match), ConsistentRead: true }));
  if (!Item) return undefined;
  const status = Number(str(fields.status));
  const appid = str(fields.appid);
  const created = status === 0 && appid !== undefined;
  const result = await ifConditionHeld(
    services.db.send(
      new UpdateCommand({
        TableName: services.table,
        Key: key(String(Item.registrationId)),
        UpdateExpression: `SET #status = :status, wechat = :wechat, updatedAtMs = :now${created ? ', appid = :appid' : ''}`,
        ConditionExpression: '#status = :waiting',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': created ? 'created' : 'failed',
          ':wechat': { status: Number.isFinite(status) ? status : -1, ...(str(fields.msg) ? { msg: str(fields.msg)!.slice(0, 500) } : {}) },
          ':now': nowMs,
          ':waiting': 'awaiting_confirmation',
          ...(created ? { ':appid': appid } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  if (created) await services.db.send(new PutCommand({ TableName: services.table, Item: { ...appidKey(appid), registrationId: String(Item.registrationId) } }));
  // Already settled (a repeated push): nothing moves.
  return result?.Attributes ? fromItem(result.Attributes) : undefined;
}

/** The registration that created `appid`'s mini-program, if one of ours did. */
export async function registrationIdOf(services: Store, appid: string): Promise<string | undefined> {
  const { Item } = await services.db.send(new GetCommand({ TableName: services.table, Key: appidKey(appid), ConsistentRead: true }));
  return typeof Item?.registrationId === 'string' ? Item.registrationId : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Asks WeChat how an enterprise or personal registration stands (a late push); a trial has no such query. */
export async function searchRegistration(services: Pick<Services, 'db' | 'table' | 'wechat'>, id: string): Promise<{ registration: Registration; wechat: string }> {
  const registration = await getRegistration(services, id);
  const request = registration.request;
  if (request.kind === 'trial') throw new Conflict('search_not_supported', 'WeChat offers no query for a trial registration: its result push names it');
  try {
    if (request.kind === 'enterprise') {
      await services.wechat.component.fastRegisterEnterprise('search', { name: request.name, legal_persona_wechat: request.legal_persona_wechat, legal_persona_name: request.legal_persona_name });
      return { registration, wechat: 'confirmed at WeChat: its result push makes it a tenant (POST /api/tenants/sync recovers it if that push was lost)' };
    }
    const { status } = await services.wechat.component.fastRegisterPersonal('query', { taskid: registration.taskId });
    return { registration, wechat: status === 0 ? 'waiting for the user to confirm' : status === 12 ? 'created at WeChat: its result push makes it a tenant' : `failed at WeChat with status ${status}` };
  } catch (error) {
    if (isWeChatApiError(error) && (error.code === 89251 || error.code === 89252)) return { registration, wechat: 'waiting for the legal representative to confirm (face verification and checks at WeChat)' };
    if (isWeChatApiError(error) && error.code === 89250) return { registration, wechat: `WeChat has no running task for it: ${error.errmsg}` };
    throw error;
  }
}

function fromItem(item: Record<string, unknown>): Registration {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return rest as unknown as Registration;
}
