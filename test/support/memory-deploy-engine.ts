import type { Readiness } from '../../shared/readiness/readiness';
import type { BulkAction, Deployment, DeploymentPatch, Target, TargetTally, WaveProgress } from '../../shared/deployments/deployment';
import { TallyBuilder } from '../../shared/deployments/deployment-records';
import { definedFields } from '../../shared/db/item-fields';
import type { DeployMessage } from '../../shared/deployments/deploy-messages';
import { DeploymentStore, type ActiveDeployment, type AuditingTarget, type IndexBackfill, type TargetMove } from '../../shared/deployments/deployment-store';
import type { DeployEngine } from '../../shared/deployments/engine-ports';
import { AUDIT_PENDING, type TargetState } from '../../shared/deployments/target-machine';
import type { Tenant, TenantStatus } from '../../shared/tenants/tenant';
import type { TenantPage, TenantTurn } from '../../shared/tenants/tenant-store';
import type { TenantClient } from '../../shared/wechat/bound-clients';
import { ERRCODE } from '../../shared/wechat/errcodes';
import { WeChatApiError } from '../../shared/wechat/errors';
import type { HistoryVersion, LatestAuditStatusResponse } from '../../shared/wechat/types';

/**
 * The deploy engine's ports in memory, for its unit tests: the deployment store (with the
 * DynamoDB adapter's conditions), a queue that records what was sent, the tenant registry's deploy
 * bookkeeping (with TenantStore's conditions: test/shared/deployments/tenant-port.test.ts runs both)
 * and a scripted WeChat that records every call and remembers what each mini-program has.
 */

const copy = <T>(value: T): T => structuredClone(value);

/** Sets the defined entries of `set` on `record` and deletes `remove` (undefined is skipped, as DynamoDB's update builder does). */
function patch(record: Record<string, unknown>, set: object, remove: readonly string[] = []): void {
  for (const [key, value] of Object.entries(set)) if (value !== undefined) record[key] = copy(value);
  for (const key of remove) delete record[key];
}

/** Pages of a sorted list by offset, in the shape of the stores' `nextToken`. */
function page<T>(items: T[], limit: number, nextToken?: string): { items: T[]; nextToken?: string } {
  const start = Number(nextToken ?? 0);
  const end = start + limit;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

export class MemoryDeploymentStore extends DeploymentStore {
  private readonly deployments = new Map<string, Deployment>();
  private readonly targets = new Map<string, Target>();
  /** The sweeper's index: when each entry was last swept (0: never), where a partial sweep stopped. */
  readonly active = new Map<string, { sweptAtMs: number; activeSinceMs: number; sweepCursor?: string }>();

  async create(deployment: Deployment): Promise<void> {
    if (this.deployments.has(deployment.id)) throw new Error(`deployment ${deployment.id} exists`);
    await this.activate(deployment.id);
    this.deployments.set(deployment.id, copy(deployment));
  }

  async activate(id: string): Promise<void> {
    if (!this.active.has(id)) this.active.set(id, { sweptAtMs: 0, activeSinceMs: this.now() });
  }

  async retire(id: string): Promise<void> {
    this.active.delete(id);
  }

  async markSwept(id: string, atMs: number, cursor?: string): Promise<void> {
    const entry = this.active.get(id);
    if (entry) {
      entry.sweptAtMs = atMs;
      if (cursor === undefined) delete entry.sweepCursor;
      else entry.sweepCursor = cursor;
    }
    const deployment = this.deployments.get(id);
    if (deployment) deployment.lastSweptAtMs = atMs;
  }

  backfill: IndexBackfill = { done: false };

  async indexBackfill(): Promise<IndexBackfill> {
    return { ...this.backfill };
  }

  async saveIndexBackfill(progress: IndexBackfill): Promise<void> {
    this.backfill = { ...progress };
  }

  /** Least recently swept first, as the index sorts them. */
  async *activeDeployments(): AsyncGenerator<ActiveDeployment> {
    const entries = [...this.active.entries()].sort(([a, x], [b, y]) => x.sweptAtMs - y.sweptAtMs || a.localeCompare(b));
    for (const [id, { sweepCursor, activeSinceMs }] of entries) yield { id, activeSinceMs, ...(sweepCursor !== undefined ? { sweepCursor } : {}) };
  }

  async get(id: string): Promise<Deployment | undefined> {
    const deployment = this.deployments.get(id);
    return deployment && copy(deployment);
  }

  async list(limit: number, nextToken?: string): Promise<{ deployments: Deployment[]; nextToken?: string }> {
    const newestFirst = [...this.deployments.values()].sort((a, b) => b.createdAtMs - a.createdAtMs || b.id.localeCompare(a.id));
    const { items, ...rest } = page(newestFirst, limit, nextToken);
    return { deployments: items.map(copy), ...rest };
  }

  async update(id: string, set: DeploymentPatch, remove: readonly (keyof DeploymentPatch)[] = []): Promise<void> {
    const deployment = this.deployments.get(id);
    if (!deployment) throw new Error(`no deployment ${id}`);
    patch(deployment as unknown as Record<string, unknown>, { ...set, updatedAtMs: this.now() }, remove);
  }

  async saveWaveProgress(id: string, next: Omit<WaveProgress, 'version'>, expectedVersion: number | undefined): Promise<boolean> {
    const deployment = this.deployments.get(id);
    if (!deployment || deployment.waveProgress?.version !== expectedVersion) return false;
    deployment.waveProgress = structuredClone({ ...next, version: (expectedVersion ?? 0) + 1 });
    deployment.updatedAtMs = this.now();
    return true;
  }

  async clearPendingAction(id: string, pending: { action: BulkAction; atMs: number }): Promise<void> {
    const deployment = this.deployments.get(id);
    if (deployment?.pendingAction?.action !== pending.action || deployment.pendingAction.atMs !== pending.atMs) return;
    delete deployment.pendingAction;
    deployment.updatedAtMs = this.now();
  }

  protected async insertTarget(target: Target): Promise<boolean> {
    const key = `${target.deploymentId}#${target.appid}`;
    if (this.targets.has(key)) return false;
    this.targets.set(key, copy(target));
    return true;
  }

  async getTarget(id: string, appid: string): Promise<Target | undefined> {
    const target = this.targets.get(`${id}#${appid}`);
    return target && copy(target);
  }

  async listTargets(id: string, limit: number, nextToken?: string): Promise<{ targets: Target[]; nextToken?: string }> {
    const { items, ...rest } = page(this.targetsOf(id), limit, nextToken);
    return { targets: items.map(copy), ...rest };
  }

  async tally(id: string): Promise<TargetTally> {
    const tally = new TallyBuilder();
    for (const { state, grayPercentage, refused, wave } of this.targetsOf(id)) tally.add(definedFields({ state, grayPercentage, refused, wave }));
    return tally.done();
  }

  /** The audit index: targets whose audit is pending (auditing, or its withdrawal in flight) with a submission time, oldest submission first. */
  async *auditingSince(beforeMs: number): AsyncGenerator<AuditingTarget> {
    const waiting = [...this.targets.values()]
      .filter((t): t is Target & { submittedAtMs: number } => AUDIT_PENDING.has(t.state) && t.submittedAtMs !== undefined && t.submittedAtMs < beforeMs)
      .sort((a, b) => a.submittedAtMs - b.submittedAtMs || a.deploymentId.localeCompare(b.deploymentId) || a.appid.localeCompare(b.appid));
    for (const t of waiting) yield { deploymentId: t.deploymentId, appid: t.appid, auditId: t.auditId, submittedAtMs: t.submittedAtMs };
  }

  /** The DynamoDB adapter's condition: the target exists, is in one of `from` and, with `ownedBy`, is still that claim's. */
  protected async write(deploymentId: string, appid: string, move: TargetMove, nowMs: number): Promise<Target | undefined> {
    const clash = (move.remove ?? []).filter((field) => move.set?.[field] !== undefined);
    if (clash.length) throw new Error(`a move cannot both set and remove ${clash.join(', ')}`); // DynamoDB refuses it too
    const target = this.targets.get(`${deploymentId}#${appid}`);
    if (!target || !move.from.includes(target.state)) return undefined;
    if (move.ownedBy !== undefined && target.stepStartedAtMs !== move.ownedBy) return undefined;
    patch(target as unknown as Record<string, unknown>, { ...move.set, state: move.to, updatedAtMs: nowMs }, move.remove);
    return copy(target);
  }

  private targetsOf(id: string): Target[] {
    return [...this.targets.values()].filter((t) => t.deploymentId === id).sort((a, b) => a.appid.localeCompare(b.appid));
  }
}

/** A deploy queue that keeps what was sent, with its delay. */
export class RecordingQueue {
  readonly sent: { message: DeployMessage; delaySeconds: number }[] = [];

  async send(messages: DeployMessage[], delaySeconds = 0): Promise<void> {
    for (const message of messages) this.sent.push({ message: copy(message), delaySeconds });
  }

  /** The messages sent so far (optionally of one kind), and forgets them. */
  take<K extends DeployMessage['kind']>(kind?: K): { message: Extract<DeployMessage, { kind: K }>; delaySeconds: number }[] {
    const taken = this.sent.filter((m) => kind === undefined || m.message.kind === kind);
    this.sent.splice(0, this.sent.length, ...this.sent.filter((m) => !taken.includes(m)));
    return taken as { message: Extract<DeployMessage, { kind: K }>; delaySeconds: number }[];
  }
}

type TenantPort = DeployEngine['tenants'];
/** A tenant with the bookkeeping TenantStore keeps on the item but never hands out. */
type StoredTenant = Tenant & { releasedAtMs?: number; statusAtMs?: number; heldSinceMs?: number; lastHeldBy?: string; waitingDeployments?: Set<string> };

/** The tenant registry's deploy bookkeeping, with the conditions of TenantStore. */
export class MemoryTenants implements TenantPort {
  private readonly tenants = new Map<string, StoredTenant>();

  /** Adds an active tenant (or one as described). */
  add(appid: string, over: Partial<Tenant> = {}): this {
    this.tenants.set(appid, { appid, status: 'active', permissions: [18], authorizedAtMs: 0, updatedAtMs: 0, ...copy(over) });
    return this;
  }

  async get(appid: string): Promise<Tenant | undefined> {
    const stored = this.tenants.get(appid);
    if (!stored) return undefined;
    const { releasedAtMs: _r, statusAtMs: _s, heldSinceMs: _h, lastHeldBy: _l, waitingDeployments: _w, ...tenant } = copy(stored);
    return tenant;
  }

  /** The deployments waiting for the tenant to be let go of (not part of a Tenant: a test's view of the item). */
  waitingFor(appid: string): string[] {
    return [...(this.tenants.get(appid)?.waitingDeployments ?? [])].sort();
  }

  async list(options: { limit?: number; nextToken?: string; status?: TenantStatus } = {}): Promise<TenantPage> {
    const sorted = [...this.tenants.keys()].sort().filter((appid) => !options.status || this.tenants.get(appid)!.status === options.status);
    const { items, nextToken } = page(sorted, options.limit ?? 100, options.nextToken);
    const tenants = await Promise.all(items.map(async (appid) => (await this.get(appid))!));
    return { tenants, ...(nextToken ? { nextToken } : {}) };
  }

  async saveReadiness(appid: string, readiness: Readiness): Promise<boolean> {
    const tenant = this.tenants.get(appid);
    if (!tenant || (tenant.readiness && tenant.readiness.checkedAtMs > readiness.checkedAtMs)) return false;
    tenant.readiness = copy(readiness);
    return true;
  }

  /** Audit pushes go to `deploymentId` from now on; the one it replaces is kept as the previous. */
  async pointAuditAt(appid: string, deploymentId: string): Promise<void> {
    const tenant = this.tenants.get(appid);
    if (!tenant || tenant.auditingDeployment === deploymentId) return;
    if (tenant.auditingDeployment) tenant.previousAuditingDeployment = tenant.auditingDeployment;
    tenant.auditingDeployment = deploymentId;
  }

  /** The latest landing wins: a release recorded late, after a later one, changes nothing. */
  async recordRelease(appid: string, version: string, releasedAtMs: number): Promise<void> {
    const tenant = this.tenants.get(appid);
    if (!tenant || (tenant.releasedAtMs !== undefined && tenant.releasedAtMs > releasedAtMs)) return;
    Object.assign(tenant, { releasedVersion: version, releasedAtMs });
    delete tenant.gray;
  }

  async recordReleaseAndLetGo(appid: string, deploymentId: string, version: string, releasedAtMs: number): Promise<string[] | undefined> {
    const tenant = this.tenants.get(appid);
    if (!tenant || tenant.heldBy !== deploymentId || (tenant.releasedAtMs !== undefined && tenant.releasedAtMs > releasedAtMs)) return undefined;
    // One write, as the store does it: nothing else is called.
    const waiting = [...(tenant.waitingDeployments ?? [])].filter((id) => id !== deploymentId);
    Object.assign(tenant, { releasedVersion: version, releasedAtMs });
    for (const key of ['gray', 'heldBy', 'heldSinceMs', 'waitingDeployments'] as const) delete tenant[key];
    return waiting;
  }

  /** Recorded only while `fromVersion` is the recorded release. */
  async recordRollback(appid: string, fromVersion: string, toVersion: string, atMs: number): Promise<void> {
    const tenant = this.tenants.get(appid);
    if (tenant?.releasedVersion === fromVersion) {
      Object.assign(tenant, { releasedVersion: toVersion, releasedAtMs: atMs });
      delete tenant.gray;
    }
  }

  async recordGray(appid: string, version: string, percentage: number): Promise<void> {
    const tenant = this.tenants.get(appid);
    if (tenant) tenant.gray = { version, percentage };
  }

  async clearGray(appid: string, version: string): Promise<void> {
    const tenant = this.tenants.get(appid);
    if (tenant?.gray?.version === version) delete tenant.gray;
  }

  async hold(appid: string, deploymentId: string, nowMs = Date.now(), options: { pointAudit?: boolean } = {}): Promise<TenantTurn> {
    const tenant = this.tenants.get(appid);
    if (!tenant) return { held: true, continuing: false }; // its commit fails on its own terms
    if (tenant.heldBy && tenant.heldBy !== deploymentId) return { held: false, holder: tenant.heldBy, ...(tenant.heldSinceMs !== undefined ? { heldSinceMs: tenant.heldSinceMs } : {}) };
    const continuing = tenant.lastHeldBy === deploymentId;
    const before = await this.get(appid);
    Object.assign(tenant, { heldBy: deploymentId, heldSinceMs: nowMs, lastHeldBy: deploymentId, lastDeployment: deploymentId });
    // As the store: pointed in the same write only when the audits went elsewhere; the tenant as it was, pointed.
    if (!options.pointAudit || tenant.auditingDeployment === deploymentId) return { held: true, continuing, ...(before ? { tenant: before } : {}) };
    await this.pointAuditAt(appid, deploymentId);
    const { auditingDeployment, previousAuditingDeployment } = tenant;
    return { held: true, continuing, pointedAudit: true, ...(before ? { tenant: { ...before, ...definedFields({ auditingDeployment, previousAuditingDeployment }) } } : {}) };
  }

  async waitFor(appid: string, deploymentId: string): Promise<void> {
    const tenant = this.tenants.get(appid);
    if (tenant) (tenant.waitingDeployments ??= new Set()).add(deploymentId);
  }

  async letGo(appid: string, deploymentId: string): Promise<string[]> {
    const tenant = this.tenants.get(appid);
    if (tenant?.heldBy !== deploymentId) return [];
    const waiting = [...(tenant.waitingDeployments ?? [])].filter((id) => id !== deploymentId);
    delete tenant.heldBy;
    delete tenant.heldSinceMs;
    delete tenant.waitingDeployments;
    return waiting;
  }

  async handOver(appid: string, from: string, to: string, nowMs = Date.now()): Promise<boolean> {
    const tenant = this.tenants.get(appid);
    if (tenant?.heldBy !== from) return false;
    Object.assign(tenant, { heldBy: to, heldSinceMs: nowMs });
    return true;
  }

  async markUnusable(appid: string, status: Exclude<TenantStatus, 'active'>, reason: string, eventAtMs = Date.now()): Promise<boolean> {
    const tenant = this.tenants.get(appid);
    if (!tenant || tenant.authorizedAtMs > eventAtMs) return false;
    Object.assign(tenant, { status, statusReason: reason, statusAtMs: eventAtMs, updatedAtMs: Date.now() });
    return true;
  }
}

type Method = keyof TenantClient;

/**
 * What the scripted WeChat remembers of one mini-program, so that an unscripted answer agrees with
 * the calls before it (a gray plan after grayrelease, the version online after a rollback). Tests
 * may set it directly to describe what WeChat already has.
 */
export interface MiniProgram {
  /** The user_version of the last commit. */
  committed?: string;
  /** The latest audit (get_latest_auditstatus); none until a submit. */
  audit?: LatestAuditStatusResponse;
  /** The version online for everyone (getversioninfo's release_info). */
  online?: string;
  /** The versions a rollback can go back to (get_history_version), newest first. */
  history: HistoryVersion[];
  /** The gray release plan: status 1 running, 3 done, 4 reverted. */
  gray?: { status: number; percentage: number };
}

const ok = <T extends object>(answer: T = {} as T) => ({ errcode: 0, errmsg: 'ok', ...answer });

/** What WeChat answers when nothing is scripted: success, consistent with the mini-program's state. `submitAudit` hands out auditids 1001, 1002, … */
function defaultAnswer(method: Method, args: unknown[], mp: MiniProgram, nextAuditId: () => number): unknown {
  switch (method) {
    case 'commit':
      mp.committed = (args[0] as { user_version: string }).user_version;
      return undefined;
    case 'submitAudit': {
      const auditid = nextAuditId();
      mp.audit = ok({ auditid, status: 2 as const, user_version: mp.committed, submit_audit_time: Math.floor(Date.now() / 1000) });
      return ok({ auditid });
    }
    case 'getLatestAuditStatus':
      if (!mp.audit) throw new WeChatApiError({ code: ERRCODE.INVALID_AUDIT_ID, errmsg: 'no audit', path: '/wxa/get_latest_auditstatus' });
      return copy(mp.audit);
    case 'getAuditStatus':
      return ok({ status: 2 });
    case 'undoCodeAudit':
      if (mp.audit) mp.audit.status = 3;
      return undefined;
    case 'release': {
      if (mp.gray?.status === 1) mp.gray.status = 3;
      // The version it replaces becomes one a rollback can go back to.
      const appVersion = 1 + Math.max(0, ...mp.history.map((v) => v.app_version));
      if (mp.online && mp.committed && mp.online !== mp.committed) mp.history.unshift({ app_version: appVersion, user_version: mp.online, user_desc: '', commit_time: 0 });
      mp.online = mp.committed ?? mp.online;
      return undefined;
    }
    case 'grayRelease':
      mp.gray = { status: 1, percentage: (args[0] as { gray_percentage: number }).gray_percentage };
      return undefined;
    case 'revertGrayRelease':
      if (mp.gray?.status === 1) mp.gray.status = 4;
      return undefined;
    case 'getGrayReleasePlan':
      return ok({ gray_release_plan: { status: mp.gray?.status ?? 0, create_timestamp: 0, gray_percentage: mp.gray?.percentage ?? 0 } });
    case 'getHistoryVersion':
      return ok({ version_list: copy(mp.history) });
    case 'getVersionInfo':
      return ok(mp.online ? { release_info: { release_time: 0, release_version: mp.online, release_desc: '' } } : {});
    case 'revertCodeRelease':
      mp.online = mp.history.find((v) => v.app_version === args[0])?.user_version ?? mp.online;
      return undefined;
    case 'modifyDomain':
    case 'setWebviewDomain':
      return ok();
    // The release gates all pass: scanned, nothing undeclared or ungranted, a guide set, filed.
    case 'getCodePrivacyInfo':
      return ok({ without_auth_list: [], without_conf_list: [] });
    case 'getPrivacySetting':
      return ok({ setting_list: [{ privacy_key: 'UserInfo', privacy_text: 'to show the member card' }] });
    case 'getIcpEntranceInfo':
      return ok({ info: { status: 6 } });
    case 'getAccountBasicInfo':
      return ok({ nickname_info: { nickname: 'Shop' }, head_image_info: { head_image_url: 'https://example.invalid/a.png' }, signature_info: { signature: 'A shop' } });
    case 'getCategory':
      return ok({ category_list: [{ first_class: '工具', second_class: '效率', first_id: 287, second_id: 616 }] });
    case 'getPrivacyInterface':
      return ok({ interface_list: [] });
    case 'queryQuota':
      return ok({ rest: 100, limit: 100, speedup_rest: 10, speedup_limit: 10 });
    default:
      return undefined;
  }
}

export interface WeChatCall {
  appid: string;
  method: Method;
  args: unknown[];
}

/**
 * WeChat as the engine sees it (`wechat.tenant(appid).commit(…)`): every call is recorded; the
 * answer is the next one scripted for that method (for that appid, or for any), else success as
 * the mini-program's remembered state has it.
 */
export class ScriptedWeChat {
  readonly calls: WeChatCall[] = [];
  private readonly scripts: { method: Method; appid?: string; answer: unknown; times: number }[] = [];
  private readonly miniPrograms = new Map<string, MiniProgram>();
  private auditIds = 1000;

  /** What WeChat has for `appid` (unscripted answers read and change it); a test may set it. */
  miniProgram(appid: string): MiniProgram {
    let mp = this.miniPrograms.get(appid);
    if (!mp) this.miniPrograms.set(appid, (mp = { history: [] }));
    return mp;
  }

  /** The next `times` calls of `method` (by `appid`, or by anyone) answer `answer`; an Error is thrown, a function is called with the arguments. */
  script(method: Method, answer: unknown, options: { appid?: string; times?: number } = {}): this {
    this.scripts.push({ method, answer, appid: options.appid, times: options.times ?? 1 });
    return this;
  }

  tenant(appid: string): TenantClient {
    return new Proxy({} as TenantClient, {
      // Not a thenable: `then` (and symbols) are not WeChat methods.
      get: (_, method) => (typeof method !== 'string' || method === 'then' ? undefined : (...args: unknown[]) => this.call(appid, method as Method, args)),
    });
  }

  private async call(appid: string, method: Method, args: unknown[]): Promise<unknown> {
    this.calls.push({ appid, method, args });
    const scripted = this.scripts.find((s) => s.method === method && (s.appid === undefined || s.appid === appid));
    if (!scripted) return defaultAnswer(method, args, this.miniProgram(appid), () => ++this.auditIds);
    if (--scripted.times <= 0) this.scripts.splice(this.scripts.indexOf(scripted), 1);
    const answer = typeof scripted.answer === 'function' ? await (scripted.answer as (...a: unknown[]) => unknown)(...args) : scripted.answer;
    if (answer instanceof Error) throw answer;
    return answer;
  }

  /** The methods called (for one appid, or for all), in order. */
  methods(appid?: string): Method[] {
    return this.calls.filter((c) => appid === undefined || c.appid === appid).map((c) => c.method);
  }

  /** The arguments of each call of `method` (for one appid, or for all). */
  argsOf(method: Method, appid?: string): unknown[][] {
    return this.calls.filter((c) => c.method === method && (appid === undefined || c.appid === appid)).map((c) => c.args);
  }
}

export interface MemoryDeployEngine extends DeployEngine {
  deployments: MemoryDeploymentStore;
  deployQueue: RecordingQueue;
  tenants: MemoryTenants;
  wechat: ScriptedWeChat;
}

export function memoryDeployEngine(): MemoryDeployEngine {
  return { deployments: new MemoryDeploymentStore(), deployQueue: new RecordingQueue(), tenants: new MemoryTenants(), wechat: new ScriptedWeChat() };
}

/** A valid appid (`wx` and 16 hex digits) numbered `n`. */
export const appidOf = (n: number): string => `wx${n.toString(16).padStart(16, '0')}`;

/** A deployment as create-deployment would store it (auto release, audit on, fanned out). */
export function deploymentOf(over: Partial<Deployment> = {}): Deployment {
  return {
    id: 'd-1-00000001',
    templateId: 7,
    templateType: 0,
    userVersion: '1.2.0',
    userDesc: 'settings page',
    submitAudit: true,
    release: 'auto',
    createdAtMs: 1_000,
    updatedAtMs: 1_000,
    fanOutDone: true,
    ...over,
  };
}

/** A target in `state`, as fan-out and earlier moves would have left it. */
export function targetOf(deploymentId: string, appid: string, state: TargetState, over: Partial<Target> = {}): Target {
  return { deploymentId, appid, state, attempts: 0, createdAtMs: 1_000, updatedAtMs: 1_000, ...over };
}

/** A promise to resolve later: a WeChat call still answering while the test does something else. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
