import { blocker, type Blocker } from './blockers';

/** Where the mini-program's ICP filing (备案) stands, from get_icp_entrance_info's status. */
export type IcpState = 'filed' | 'in_review' | 'rejected' | 'not_filed' | 'unknown';

export interface TenantCategory {
  first: string;
  second: string;
  third?: string;
  firstId: number;
  secondId: number;
  thirdId?: number;
}

/**
 * What WeChat says about a mini-program's release gates, read at `checkedAtMs` without writing
 * anything: the facts, and the blockers they amount to before any template is considered.
 */
export interface Readiness {
  ready: boolean;
  checkedAtMs: number;
  blockers: Blocker[];
  icp: { state: IcpState; status?: number; rejections?: { field: string; error: string; suggest?: string }[] };
  privacy: {
    /** A user-privacy guide (用户隐私保护指引) is set. */
    configured: boolean;
    /** Privacy keys the guide covers. */
    keys: string[];
    /** Location-type privacy interfaces WeChat has granted (get_privacy_interface, status 5). */
    grantedApis: string[];
  };
  basicInfo: { nickName?: string; headImage?: string; signature?: string; complete: boolean; missing: ('nickname' | 'avatar' | 'introduction')[] };
  categories: TenantCategory[];
  quota?: { rest: number; limit: number };
  /** Checks WeChat did not answer (e.g. a permission set not granted): their facts are unknown, not blockers. */
  unavailable?: { check: string; code: number | string; message: string }[];
}

export function icpStateOf(status: number): IcpState {
  if (status === 6) return 'filed';
  if (status === 2 || status === 4) return 'in_review';
  if (status === 3 || status === 5) return 'rejected';
  return 'not_filed';
}

/** Blockers from the facts alone (no template): ICP, privacy guide, basic info, categories, quota. */
export function tenantBlockers(facts: Omit<Readiness, 'ready' | 'blockers'>): Blocker[] {
  const blockers: Blocker[] = [];
  const { icp } = facts;
  if (icp.state === 'not_filed') blockers.push(blocker('icp_not_filed', `the mini-program has no ICP filing (status ${icp.status}): WeChat will not release it`));
  if (icp.state === 'in_review') blockers.push(blocker('icp_in_review', `the ICP filing is under review (status ${icp.status}): WeChat will not release it until it is filed`));
  if (icp.state === 'rejected') {
    const why = (icp.rejections ?? []).map((r) => `${r.field}: ${r.error}`).join('; ');
    blockers.push(blocker('icp_rejected', `the ICP filing was rejected (status ${icp.status})${why ? `: ${why}` : ''}`));
  }
  if (!facts.privacy.configured) blockers.push(blocker('privacy_not_configured', 'the mini-program has no user-privacy guide (用户隐私保护指引): WeChat refuses the audit'));
  if (!facts.basicInfo.complete) blockers.push(blocker('basic_info_incomplete', `the mini-program's ${facts.basicInfo.missing.join(', ')} ${facts.basicInfo.missing.length > 1 ? 'are' : 'is'} not set: WeChat refuses the audit (86002)`));
  if (facts.categories.length === 0 && !unavailable(facts, 'categories')) blockers.push(blocker('category_missing', 'the mini-program has no service category: WeChat refuses the audit'));
  if (facts.quota && facts.quota.rest <= 0) blockers.push(blocker('audit_quota_exhausted', `no audit submissions left this month (0 of ${facts.quota.limit})`));
  return blockers;
}

export function withBlockers(facts: Omit<Readiness, 'ready' | 'blockers'>): Readiness {
  const blockers = tenantBlockers(facts);
  return { ready: blockers.length === 0, blockers, ...facts };
}

/** WeChat did not answer this check: its fact is unknown, so it blocks nothing. */
export function unavailable(facts: Pick<Readiness, 'unavailable'>, check: string): boolean {
  return facts.unavailable?.some((u) => u.check === check) ?? false;
}
