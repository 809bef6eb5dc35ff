/**
 * The emulator's model as plain JSON and back, for its state file (`persistence.ts`): Maps become
 * entry lists, the online version becomes an index into the kept versions (the release code
 * compares them by identity), and every time stays on the emulator's clock as it was.
 *
 * Kept: the platform's tickets, pre-auth and authorization codes (until an hour after they
 * expire), component and authorizer tokens, every mini-program (authorization and refresh token,
 * committed code, audits, released version and kept history, gray plan, visit status, undo quota,
 * domains, testers, privacy settings, per-appid audit outcome, and the release gates: ICP filing,
 * basic info, categories, granted privacy interfaces, verification, the latest rename; its users
 * and runtime records: logins, subscribe messages, codes, schemes, links, user messages), wx.login
 * codes (until an hour after they expire), the
 * template library and drafts (with what their code calls and declares),
 * the platform's quota, global audit outcome and reject share (with its counts), the next auditid
 * and app_version, the audit desk's pending decisions and unacknowledged audit pushes, the fast
 * registrations (pending, confirmed, failed) with the mini-programs they created and the real names
 * learnt for WeChat IDs, the temporary media not yet expired (with their bytes), and per
 * mini-program its head image, rename audit_id, modify counts and categories under review or rejected.
 * Not kept: the call log, received customer messages, fault rules and push targets (given at start),
 * and user-message pushes still being retried (they are not sent again after a restart).
 */
import type { AuditDeskSnapshot } from './audits';
import { gateSeed } from './fixtures';
import type { EmulatorOptions } from './settings';
import { gateFields } from './state';
import type {
  AuditRejectShare,
  AuthCodeRecord,
  CodePrivacy,
  CodeRecord,
  Draft,
  EmulatorState,
  MiniProgram,
  OutcomeSetting,
  PlatformQuota,
  ReleasedVersion,
  Template,
  TicketRecord,
} from './state';
import { isMediaLive } from './media';
import type { MediaItem } from './media';
import type { WxLoginCode } from './runtime';
import type { Registration } from './registrations';
import type { TokenSnapshot } from './tokens';

export const SNAPSHOT_FORMAT = 1;

/** Codes expired longer ago than this are dropped: nobody needs their precise "expired" answer any more. */
const KEEP_EXPIRED_CODES_MS = 3600_000;

type StoredMiniProgram = Omit<MiniProgram, 'testers' | 'released'> & {
  testers: [string, string][];
  /** The online version: its index in releaseHistory (where it always is), or a copy if it ever is not. */
  released?: number | ReleasedVersion;
};

export interface EmulatorSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** Emulator clock, epoch milliseconds. */
  savedAt: number;
  /** The platform the state belongs to: its tokens and tickets mean nothing to another. */
  componentAppid: string;
  sequence: EmulatorState['sequence'];
  tickets: TicketRecord[];
  preAuthCodes: [string, CodeRecord][];
  authCodes: [string, AuthCodeRecord][];
  /** wx.login codes; absent in a state file from before them. */
  wxLoginCodes?: [string, WxLoginCode][];
  tokens: TokenSnapshot;
  templates: Kept<Template>[];
  drafts: Kept<Draft>[];
  quota: PlatformQuota;
  auditOutcome: OutcomeSetting;
  /** The reject share and its counts; absent when off, and in a state file from before it. */
  auditRejectShare?: AuditRejectShare;
  /** Appids of the seeded mini-programs, in seed order (consent page, dashboard). */
  seeded: string[];
  miniPrograms: KeptMiniProgram[];
  audits: AuditDeskSnapshot;
  /** Fast registrations and the real names learnt for WeChat IDs; absent in a state file from before them. */
  registrations?: Registration[];
  wechatNames?: [string, string][];
  /** Temporary media not yet expired; absent in a state file from before them. */
  media?: MediaItem[];
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export function takeSnapshot(state: EmulatorState, audits: AuditDeskSnapshot): EmulatorSnapshot {
  const keepSince = state.now() - KEEP_EXPIRED_CODES_MS;
  return {
    format: SNAPSHOT_FORMAT,
    savedAt: state.now(),
    componentAppid: state.platform.componentAppid,
    sequence: { ...state.sequence },
    tickets: state.tickets,
    preAuthCodes: [...state.preAuthCodes].filter(([, code]) => code.expiresAt > keepSince),
    authCodes: [...state.authCodes].filter(([, code]) => code.expiresAt > keepSince),
    wxLoginCodes: [...state.wxLoginCodes].filter(([, code]) => code.expiresAt > keepSince),
    tokens: state.tokens.snapshot(),
    templates: state.templates,
    drafts: state.drafts,
    quota: state.quota,
    auditOutcome: state.auditOutcome,
    ...(state.auditRejectShare === undefined ? {} : { auditRejectShare: state.auditRejectShare }),
    seeded: state.seeded.map((mp) => mp.appid),
    miniPrograms: [...state.miniPrograms.values()].map(storeMiniProgram),
    audits,
    registrations: state.registrations,
    wechatNames: [...state.wechatNames],
    media: [...state.media.values()].filter((item) => isMediaLive(item, state.nowSec())),
  };
}

/** Checks what a state file holds is a snapshot of this platform's emulator. */
export function parseSnapshot(json: string, componentAppid: string): EmulatorSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new SnapshotError(`not JSON (${(error as Error).message})`);
  }
  const snapshot = value as Partial<EmulatorSnapshot> | null;
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotError(`not an emulator state of format ${SNAPSHOT_FORMAT}`);
  }
  if (snapshot.componentAppid !== componentAppid) {
    throw new SnapshotError(`it belongs to the platform ${String(snapshot.componentAppid)}, not ${componentAppid}`);
  }
  for (const key of ['tickets', 'preAuthCodes', 'authCodes', 'templates', 'drafts', 'seeded', 'miniPrograms'] as const) {
    if (!Array.isArray(snapshot[key])) throw new SnapshotError(`${key} is missing`);
  }
  if (typeof snapshot.tokens !== 'object' || typeof snapshot.quota !== 'object' || typeof snapshot.audits !== 'object') {
    throw new SnapshotError('tokens, quota or audits are missing');
  }
  return snapshot as EmulatorSnapshot;
}

/**
 * Puts a snapshot into a freshly built state. Mini-programs come back as they were; when more are
 * asked for now than were seeded then, the missing ones are added fresh (none is ever dropped: it
 * may be authorized). A start option given explicitly (auditOutcome, auditQuota, speedupQuota)
 * overrides what was kept. Returns what the audit desk has to resume.
 */
export function restoreSnapshot(
  state: EmulatorState,
  snapshot: EmulatorSnapshot,
  overrides: Pick<EmulatorOptions, 'auditOutcome' | 'auditQuota' | 'speedupQuota'>,
): AuditDeskSnapshot {
  Object.assign(state.sequence, snapshot.sequence);
  replace(state.tickets, snapshot.tickets);
  // A state file from before templates declared their privacy APIs: their code uses none.
  replace(state.templates, snapshot.templates.map((template) => ({ ...template, privacyApis: template.privacyApis ?? [], requiredPrivateInfos: template.requiredPrivateInfos ?? [] })));
  replace(state.drafts, snapshot.drafts.map((draft) => ({ ...draft, privacyApis: draft.privacyApis ?? [], requiredPrivateInfos: draft.requiredPrivateInfos ?? [] })));
  refill(state.preAuthCodes, snapshot.preAuthCodes);
  refill(state.authCodes, snapshot.authCodes);
  refill(state.wxLoginCodes, snapshot.wxLoginCodes ?? []);
  state.tokens.restore(snapshot.tokens);

  state.quota = { ...snapshot.quota };
  if (overrides.auditQuota !== undefined) state.quota.limit = overrides.auditQuota;
  if (overrides.speedupQuota !== undefined) state.quota.speedupLimit = overrides.speedupQuota;
  state.auditOutcome = overrides.auditOutcome !== undefined ? { outcome: overrides.auditOutcome } : { ...snapshot.auditOutcome };
  // Kept whatever the start options say (none sets it): it is switched off through the admin API.
  state.auditRejectShare = snapshot.auditRejectShare === undefined ? undefined : { ...snapshot.auditRejectShare };

  const stored = new Map(snapshot.miniPrograms.map((mp) => [mp.appid, loadMiniProgram(mp, state.nowSec())]));
  const freshSeeded = [...state.seeded];
  const freshOthers = [...state.miniPrograms.values()].filter((mp) => !freshSeeded.includes(mp));
  state.seeded.length = 0;
  state.miniPrograms.clear();
  for (const appid of snapshot.seeded) {
    const mp = stored.get(appid);
    if (mp !== undefined) state.seeded.push(mp);
  }
  // Seeded profiles are deterministic by position: the fresh ones past the kept count are new.
  state.seeded.push(...freshSeeded.slice(state.seeded.length));
  for (const mp of state.seeded) state.miniPrograms.set(mp.appid, mp);
  for (const fresh of freshOthers) state.miniPrograms.set(fresh.appid, stored.get(fresh.appid) ?? fresh);
  // The mini-programs fast registration created (neither seeded nor test accounts).
  for (const [appid, mp] of stored) if (!state.miniPrograms.has(appid) && mp.registration !== undefined) state.miniPrograms.set(appid, mp);
  replace(state.registrations, (snapshot.registrations ?? []).map((registration) => ({ ...registration })));
  refill(state.wechatNames, snapshot.wechatNames ?? []);
  refill(state.media, (snapshot.media ?? []).filter((item) => isMediaLive(item, state.nowSec())).map((item) => [item.mediaId, item]));
  return snapshot.audits;
}

function storeMiniProgram(mp: MiniProgram): StoredMiniProgram {
  const { testers, released, ...rest } = mp;
  const index = released === undefined ? -1 : mp.releaseHistory.indexOf(released);
  return {
    ...rest,
    testers: [...testers],
    ...(released === undefined ? {} : { released: index === -1 ? released : index }),
  };
}

/** A template or draft kept before they declared their privacy APIs lacks them. */
type Kept<T extends CodePrivacy> = Omit<T, keyof CodePrivacy> & Partial<CodePrivacy>;

/** A mini-program kept before the release gates existed passes them all, as it did then. */
type KeptMiniProgram = Omit<StoredMiniProgram, 'icp' | 'categories' | 'grantedPrivacyApis' | 'verify'> &
  Partial<Pick<StoredMiniProgram, 'icp' | 'categories' | 'grantedPrivacyApis' | 'verify'>>;

function loadMiniProgram(stored: KeptMiniProgram, nowSec: number): MiniProgram {
  const { testers, released, ...rest } = stored;
  const gates = gateFields(gateSeed('ready', 0), nowSec);
  const beforeGates = rest.icp === undefined;
  const mp: MiniProgram = {
    ...rest,
    privacy: beforeGates && rest.privacy[1] === undefined && rest.privacy[2] === undefined ? gates.privacy : rest.privacy,
    icp: rest.icp ?? gates.icp,
    categories: rest.categories ?? gates.categories,
    grantedPrivacyApis: rest.grantedPrivacyApis ?? gates.grantedPrivacyApis,
    verify: rest.verify ?? gates.verify,
    testers: new Map(testers),
  };
  const online = typeof released === 'number' ? mp.releaseHistory[released] : released;
  if (online !== undefined) mp.released = online;
  return mp;
}

function replace<T>(target: T[], items: T[]): void {
  target.length = 0;
  target.push(...items);
}

function refill<K, V>(target: Map<K, V>, entries: [K, V][]): void {
  target.clear();
  for (const [key, value] of entries) target.set(key, value);
}
