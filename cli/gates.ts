/**
 * WeChat's release gates as the operator reads them: a tenant's readiness (the checklist, its
 * blockers and their fixes) and a deployment's preflight (who is blocked, the counts, the audit
 * quota). Text only: the commands print it, through stripControls like everything else.
 */
import type { Blocker, PreflightResult, Readiness, TenantView } from '../shared/contract/operator-api';
import { table } from './format';

type PreflightTenant = PreflightResult['tenants'][number];

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The READINESS column of `tenants`: `ready`, the first blocker's code (`+N` more), or `unchecked`. */
export function readinessCell(tenant: Pick<TenantView, 'readiness'>): string {
  const readiness = tenant.readiness;
  if (!readiness) return 'unchecked';
  if (readiness.blockers.length === 0) return readiness.ready ? 'ready' : 'not ready';
  const [first, ...rest] = readiness.blockers;
  return rest.length ? `${first!.code} +${rest.length}` : first!.code;
}

/** Each distinct blocker code once, with its fix: `  code: fix`. */
export function fixesBlock(blockers: readonly Blocker[]): string {
  const fixes = new Map<string, string>();
  for (const b of blockers) if (!fixes.has(b.code)) fixes.set(b.code, b.fix);
  return [...fixes].map(([code, fix]) => `  ${code}: ${fix}`).join('\n');
}

/** `audit quota: 95 of 100 left, this deployment needs 3`, and a warning line when it needs more than is left. */
export function quotaLines(quota: PreflightResult['quota']): string[] {
  if (!quota) return ["audit quota: unknown (WeChat's queryquota did not answer)"];
  const lines = [`audit quota: ${quota.rest} of ${quota.limit} left, this deployment needs ${quota.planned}`];
  if (quota.planned > quota.rest) {
    lines.push(
      `warning: the audit quota is short by ${quota.planned - quota.rest}: the deployment submits ${quota.rest}, then pauses ` +
        '(`mpfleet retry <id>` submits the rest once the quota is back)',
    );
  }
  return lines;
}

export const countsLine = (counts: PreflightResult['counts']) => `${counts.ready} ready, ${counts.blocked} blocked, ${counts.skipped} skipped (not active)`;

/** Whether a deploy should stop and ask: a tenant is blocked, or the quota cannot cover the submissions. */
export function needsConfirmation(result: PreflightResult): boolean {
  return result.counts.blocked > 0 || (result.quota !== null && result.quota.planned > result.quota.rest);
}

const blockedTenants = (result: PreflightResult) => result.tenants.filter((t) => !t.ready);

/**
 * `mpfleet preflight`: one row per blocker of each blocked tenant, each distinct blocker's fix
 * once, the counts and the quota.
 */
export function preflightReport(result: PreflightResult): string {
  const blocked = blockedTenants(result);
  const lines: string[] = [];
  if (blocked.length === 0) {
    lines.push(result.tenants.length === 0 ? 'no active tenant to deploy to' : 'no tenant is blocked');
  } else {
    const rows = blocked.flatMap((t) => (t.blockers.length ? t.blockers : [undefined]).map((b) => [t.appid, t.nickName, b?.code, b?.message]));
    lines.push(table(['APPID', 'NAME', 'BLOCKER', 'MESSAGE'], rows));
    const fixes = fixesBlock(blocked.flatMap((t) => t.blockers));
    if (fixes) lines.push('', 'fixes:', fixes);
  }
  lines.push('', countsLine(result.counts), ...quotaLines(result.quota));
  return lines.join('\n');
}

/** At most this many blocked tenants in deploy's summary; `mpfleet preflight` lists them all. */
const BRIEF_ROWS = 20;

const codesOf = (t: PreflightTenant) => t.blockers.map((b) => b.code).join(', ');

/** deploy's summary before it creates the deployment: counts, the blocked tenants with their codes, the quota. */
export function preflightBrief(result: PreflightResult): string {
  const blocked = blockedTenants(result);
  const lines = [`preflight: ${countsLine(result.counts)}`];
  if (blocked.length) {
    const rows = blocked.slice(0, BRIEF_ROWS).map((t) => [t.appid, t.nickName, codesOf(t)]);
    lines.push(...table(['APPID', 'NAME', 'BLOCKED BY'], rows).split('\n').map((line) => `  ${line}`));
    if (blocked.length > BRIEF_ROWS) lines.push(`  … and ${blocked.length - BRIEF_ROWS} more`);
    lines.push('  (`mpfleet preflight` with the same options shows each blocker and its fix; blocked tenants get nothing committed)');
  }
  lines.push(...quotaLines(result.quota));
  return lines.join('\n');
}

const CHECK = { ok: '✓', no: '✗', unknown: '?', info: '-' } as const;
const line = (mark: keyof typeof CHECK, what: string, detail: string) => `  ${CHECK[mark]} ${what.padEnd(14)} ${detail}`;

/** `mpfleet readiness <appid>`: the facts WeChat gave as a checklist, then each blocker with its fix. */
export function readinessReport(tenant: Pick<TenantView, 'appid' | 'nickName'>, readiness: Readiness): string {
  const name = tenant.nickName ? ` (${tenant.nickName})` : '';
  const checked = new Date(readiness.checkedAtMs).toISOString();
  const lines = [`${tenant.appid}${name}: ${readiness.ready ? 'ready' : `blocked (${plural(readiness.blockers.length, 'blocker')})`}, checked ${checked}`];

  const { icp, privacy, basicInfo, categories, quota } = readiness;
  const icpStatus = icp.status === undefined ? '' : ` (status ${icp.status})`;
  lines.push(line(icp.state === 'filed' ? 'ok' : icp.state === 'unknown' ? 'unknown' : 'no', 'ICP filing', `${icp.state.replace('_', ' ')}${icpStatus}`));
  for (const r of icp.rejections ?? []) lines.push(`      rejected: ${r.field}: ${r.error}${r.suggest ? ` (suggestion: ${r.suggest})` : ''}`);
  lines.push(line(privacy.configured ? 'ok' : 'no', 'privacy guide', privacy.configured ? `set${privacy.keys.length ? ` (${privacy.keys.join(', ')})` : ''}` : 'not set'));
  lines.push(line(privacy.grantedApis.length ? 'ok' : 'info', 'location APIs', privacy.grantedApis.length ? `granted: ${privacy.grantedApis.join(', ')}` : 'none granted (needed only by code that calls them)'));
  lines.push(line(basicInfo.complete ? 'ok' : 'no', 'basic info', basicInfo.complete ? `complete${basicInfo.nickName ? ` (${basicInfo.nickName})` : ''}` : `missing: ${basicInfo.missing.join(', ')}`));
  const names = categories.map((c) => [c.first, c.second, c.third].filter(Boolean).join('/'));
  lines.push(line(categories.length ? 'ok' : 'no', 'categories', names.length ? names.join(', ') : 'none'));
  lines.push(quota ? line(quota.rest > 0 ? 'ok' : 'no', 'audit quota', `${quota.rest} of ${quota.limit} left this month`) : line('unknown', 'audit quota', 'not read'));
  for (const u of readiness.unavailable ?? []) lines.push(line('unknown', u.check, `WeChat did not answer (${u.code}: ${u.message}): unknown, not a blocker`));

  if (readiness.blockers.length) {
    lines.push('', 'blockers:');
    for (const b of readiness.blockers) lines.push(`  ${b.code}: ${b.message}`, `    fix: ${b.fix}`);
  }
  return lines.join('\n');
}
