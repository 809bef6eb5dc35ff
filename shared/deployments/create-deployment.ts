import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { InvalidInput } from '../errors';
import type { Services } from '../services';
import { parseTenantConfig } from '../tenant-config/schema';
import { getReleaseProfile } from '../templates/release-profile';
import { findTemplate, templateTypeOf } from '../templates/template-library';
import { APPID_PATTERN } from '../tenants/tenant';
import { parseInput } from '../validation';
import type { Deployment } from './deployment';
import { checkWaveRequest, ensureWaveWatcher, MAX_WAVE_TENANTS, planWaves, WaveFields } from './waves';

const httpsDomain = z.string().regex(/^(https|wss|udp|tcp):\/\/[a-z0-9.-]+(:\d+)?$/i, 'must be scheme://host');

export const CreateDeploymentRequest = z
  .object({
    templateId: z.number().int().nonnegative(),
    userVersion: z.string().min(1).max(64),
    userDesc: z.string().min(1).max(512),
    tenants: z.array(z.string().regex(APPID_PATTERN, 'must be an appid')).min(1).max(10_000).optional(),
    ext: z.unknown().optional(),
    submitAudit: z.boolean().default(true),
    release: z.enum(['auto', 'manual']).default('auto'),
    auditItems: z.array(z.record(z.string(), z.union([z.string(), z.number()]))).max(5).optional(),
    versionDesc: z.string().max(512).optional(),
    privacyApiNotUse: z.boolean().optional(),
    domains: z
      .object({
        requestdomain: z.array(httpsDomain).max(200).optional(),
        wsrequestdomain: z.array(httpsDomain).max(200).optional(),
        uploaddomain: z.array(httpsDomain).max(200).optional(),
        downloaddomain: z.array(httpsDomain).max(200).optional(),
        udpdomain: z.array(httpsDomain).max(200).optional(),
        tcpdomain: z.array(httpsDomain).max(200).optional(),
      })
      .strict()
      .optional(),
    webviewDomains: z.array(z.string().regex(/^https:\/\/[a-z0-9.-]+(:\d+)?$/i, 'must be https://host')).max(200).optional(),
    /** Take tenants over from a deployment still in the middle of its lifecycle there (withdrawing its audit) instead of waiting. */
    supersede: z.boolean().optional(),
    ...WaveFields,
  })
  .strict();

/** How many tenant lookups run at once when checking a deployment's named tenants. */
const TENANT_LOOKUP_CONCURRENCY = 16;
/** How many unknown appids the error lists before "and N more". */
const UNKNOWN_LISTED = 20;

/**
 * A deployment naming tenants mpfleet does not know (a typo, a mini-program that never authorized)
 * is refused up front, listing them, rather than accepted with targets that can never run.
 * At most the schema's 10,000 lookups, a few at a time.
 */
async function refuseUnknownTenants(services: Services, appids: readonly string[]): Promise<void> {
  const unknown: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < appids.length) {
      const appid = appids[next++]!;
      if (!(await services.tenants.get(appid))) unknown.push(appid);
    }
  };
  await Promise.all(Array.from({ length: Math.min(TENANT_LOOKUP_CONCURRENCY, appids.length) }, worker));
  if (unknown.length === 0) return;
  // In the order the operator named them, whatever order the lookups finished in.
  const order = new Map(appids.map((appid, i) => [appid, i]));
  unknown.sort((a, b) => order.get(a)! - order.get(b)!);
  const listed = unknown.slice(0, UNKNOWN_LISTED).join(', ');
  const more = unknown.length > UNKNOWN_LISTED ? ` and ${unknown.length - UNKNOWN_LISTED} more` : '';
  throw new InvalidInput('unknown_tenants', `unknown tenants: ${listed}${more}`);
}

/**
 * A deployment request checked as POST /api/deployments and the preflight check it: its fields,
 * its tenants known, its template in the library, and that template's release profile.
 */
export async function checkDeploymentRequest(services: Services, body: unknown) {
  const request = parseInput(CreateDeploymentRequest, body);
  const ext = request.ext === undefined ? undefined : parseTenantConfig(request.ext);
  if (request.tenants && new Set(request.tenants).size !== request.tenants.length) throw new InvalidInput('duplicate_tenants', 'tenants lists an appid twice');
  if (request.tenants) await refuseUnknownTenants(services, request.tenants);
  checkWaveRequest(request);
  const template = await findTemplate(services, request.templateId);
  const profile = (await getReleaseProfile(services, request.templateId))?.profile;
  return { request, ext, template, profile };
}

/** Sortable by creation time, unguessable enough for an operator API. */
function newDeploymentId(now: number): string {
  return `d-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Validates the request, records the deployment and enqueues its fan-out. Answers in
 * milliseconds whatever the fleet size: targets are recorded by the queue worker.
 */
export async function createDeployment(services: Services, body: unknown, now = Date.now()): Promise<Deployment> {
  const { request, ext, template, profile } = await checkDeploymentRequest(services, body);
  const id = newDeploymentId(now);
  // A staged rollout fixes its tenants and their waves now (stored in wave order).
  const staged = request.waves ? planWaves(id, request.tenants ?? (await activeTenants(services)), request.waves) : undefined;

  const deployment: Deployment = {
    id,
    templateId: request.templateId,
    templateType: templateTypeOf(template),
    userVersion: request.userVersion,
    userDesc: request.userDesc,
    ...(staged ? { tenants: staged.tenants, waves: request.waves!, waveEnds: staged.waveEnds, advance: request.advance ?? 'manual' } : request.tenants ? { tenants: request.tenants } : {}),
    ...(request.haltWhen ? { haltWhen: request.haltWhen } : {}),
    ...(ext ? { ext } : {}),
    submitAudit: request.submitAudit,
    release: request.release,
    ...(request.auditItems ? { auditItems: request.auditItems } : {}),
    ...(request.versionDesc ? { versionDesc: request.versionDesc } : {}),
    ...(request.privacyApiNotUse !== undefined ? { privacyApiNotUse: request.privacyApiNotUse } : {}),
    ...(request.domains ? { domains: request.domains } : {}),
    ...(request.webviewDomains ? { webviewDomains: request.webviewDomains } : {}),
    ...(request.supersede ? { supersede: true } : {}),
    ...(profile ? { profile } : {}),
    createdAtMs: now,
    updatedAtMs: now,
    fanOutDone: false,
  };
  await services.deployments.create(deployment);
  await services.deployQueue.send([{ kind: 'fan-out', deploymentId: deployment.id }]);
  if (deployment.waves) await ensureWaveWatcher(services, deployment, now, 0);
  return deployment;
}

/** Every active tenant, for a staged rollout over the whole fleet (at most MAX_WAVE_TENANTS). */
async function activeTenants(services: Services): Promise<string[]> {
  const appids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await services.tenants.list({ limit: 500, status: 'active', ...(nextToken ? { nextToken } : {}) });
    appids.push(...page.tenants.map((tenant) => tenant.appid));
    nextToken = page.nextToken;
    if (appids.length > MAX_WAVE_TENANTS) {
      throw new InvalidInput('too_many_tenants_for_waves', `a staged rollout reaches at most ${MAX_WAVE_TENANTS} tenants: name them in tenants, in several deployments`);
    }
  } while (nextToken);
  return appids;
}
