import type { DeploymentSummary, TargetState, TargetView } from '../shared/contract/operator-api';

/**
 * Target states in lifecycle order, so counts read top to bottom as a deploy progresses. Not the
 * server's own list: the bin carries no server code. A state the server adds later still prints,
 * after these; one it renames or drops fails the type check here; test/cli/format.test.ts keeps
 * the two lists equal, order included.
 */
export const LIFECYCLE: readonly TargetState[] = [
  'queued',
  'waiting',
  'committing',
  'committed',
  'submitting',
  'auditing',
  'withdrawing',
  'approved',
  'releasing',
  'gray',
  'reverting_gray',
  'released',
  'rolling_back',
  'rolled_back',
  'failed',
  'blocked',
  'rejected',
  'skipped',
  'cancelled',
];
const STATE_ORDER: readonly string[] = LIFECYCLE;

/** Targets in these states need the operator's attention: --watch exits 3 when any remain. */
export const FAILED_STATES: readonly string[] = ['failed', 'blocked', 'rejected'];

/* eslint-disable no-control-regex -- these patterns exist to find control characters */
/** ESC sequences: CSI (`ESC [ … final`), OSC/DCS/PM/APC strings (to BEL or ST), and two-character escapes. */
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])?/g;
/** C0 controls but newline and tab, DEL, and the C1 controls (U+0080–U+009F: 0x9B alone is a CSI to some terminals). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/* eslint-enable no-control-regex */

/**
 * Text a terminal shows as text: escape sequences and control characters removed. Every string the
 * CLI prints passes here, because much of it comes from the API and from WeChat (a nickname, an
 * audit reason, an errmsg) and must not retitle, clear or recolour the operator's terminal.
 */
export function stripControls(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/** Columns a terminal draws two cells wide (CJK, full-width forms, most emoji): WeChat nicknames are often Chinese. */
function cellWidth(codePoint: number): number {
  const wide =
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd);
  return wide ? 2 : 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += cellWidth(char.codePointAt(0)!);
  return width;
}

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));

/** Left-aligned columns separated by two spaces, with a header row. Empty cells print as `-`. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  // A cell is one line of plain text (controls stripped here, so columns still line up).
  const cell = (value: string | number | null | undefined) => (value === undefined || value === null || value === '' ? '-' : stripControls(String(value).replace(/[\n\t]+/g, ' ')) || '-');
  const cells = rows.map((row) => headers.map((_, i) => cell(row[i])));
  const widths = headers.map((header, i) => Math.max(displayWidth(header), ...cells.map((row) => displayWidth(row[i]!))));
  return [headers, ...cells].map((row) => row.map((cell, i) => pad(cell, widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** States with a non-zero count, in lifecycle order (unknown states last, as the API may add some). */
export function orderedCounts(counts: Record<string, number>): [string, number][] {
  const rank = (state: string) => (STATE_ORDER.includes(state) ? STATE_ORDER.indexOf(state) : STATE_ORDER.length);
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** `committed 2, failed 1`: the counts on one line, for tables and plain progress output. */
export function countsInline(counts: Record<string, number>): string {
  return orderedCounts(counts).map(([state, n]) => `${state} ${n}`).join(', ') || 'no targets yet';
}

export function failedCount(counts: Record<string, number>): number {
  return FAILED_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

export function summaryLine(d: DeploymentSummary): string {
  const targets = `${d.total} target${d.total === 1 ? '' : 's'}`;
  return `deployment ${d.id}  ${d.status}  template ${d.templateId}  version ${d.userVersion}  ${targets}`;
}

/** One line per state with targets in it, counts right-aligned. */
export function countsBlock(counts: Record<string, number>): string {
  const entries = orderedCounts(counts);
  if (entries.length === 0) return '  no targets yet';
  const stateWidth = Math.max(...entries.map(([state]) => state.length));
  const countWidth = Math.max(...entries.map(([, n]) => String(n).length));
  return entries.map(([state, n]) => `  ${state.padEnd(stateWidth)}  ${String(n).padStart(countWidth)}`).join('\n');
}

/** The ERROR column: WeChat's errcode and message, or an audit's rejection reason. */
export function targetProblem(target: TargetView): string | undefined {
  if (target.error) return `${target.error.code}: ${target.error.message}`;
  return target.reason;
}

/**
 * The DETAIL column: what the state alone does not say — the gray share, the deployment a waiting
 * target waits for, the version a rollback goes back to, an audit's fate after a cancel.
 */
export function targetDetail(target: TargetView): string | undefined {
  const notes: string[] = [];
  if (target.grayPercentage !== undefined) notes.push(`${target.grayPercentage}% of users`);
  if (target.waitingFor) notes.push(`waits for ${target.waitingFor}`);
  if (target.rollbackTo) notes.push(`rollback to ${target.rollbackTo}`);
  if (target.auditOutcome) notes.push(`audit ${target.auditOutcome}`);
  else if (target.auditDelayed) notes.push('audit delayed');
  return notes.join('; ') || undefined;
}

/**
 * One row per target; the DETAIL column only when some target has one, and the WAVE column (one-based,
 * as `status` counts waves) only in a staged rollout, so the common table stays narrow.
 */
export function targetsTable(targets: TargetView[]): string {
  const details = targets.map(targetDetail);
  const withDetail = details.some((detail) => detail !== undefined);
  const withWave = targets.some((t) => t.wave !== undefined);
  const headers = ['APPID', ...(withWave ? ['WAVE'] : []), 'STATE', ...(withDetail ? ['DETAIL'] : []), 'AUDIT', 'ERROR'];
  return table(
    headers,
    targets.map((t, i) => [
      t.appid,
      ...(withWave ? [t.wave === undefined ? undefined : t.wave + 1] : []),
      t.state,
      ...(withDetail ? [details[i]] : []),
      t.auditId,
      targetProblem(t),
    ]),
  );
}

/**
 * What the operator asked of the deployment and how it stands, beyond its status: the gray
 * release and what can follow it, an action still being applied (or lost: then it can be issued
 * again), a cancel or rollback under way.
 */
export function deploymentNotes(d: DeploymentSummary): string[] {
  const notes: string[] = [];
  if (d.paused?.code === 'audit_quota_exhausted') {
    const left = d.paused.left === undefined ? '' : `, left ${d.paused.left}`;
    notes.push(`paused: audit quota used up (needed ${d.paused.needed}${left}) — run \`mpfleet retry ${d.id}\` when the quota is back`);
  } else if (d.pausedReason) notes.push(`paused: ${d.pausedReason}`);
  if (d.grayPercentage !== undefined) {
    const next = (d.counts.gray ?? 0) > 0 && !d.cancelled && !d.rolledBack;
    notes.push(
      `gray release: ${d.grayPercentage}% of users` +
        (next ? ` (widen: release --gray <more than ${d.grayPercentage}>; complete: release without --gray; undo: revert-gray)` : ''),
    );
  }
  if (d.pendingAction) {
    const { action, since, expired } = d.pendingAction;
    notes.push(
      expired
        ? `pending: ${action} requested ${since} never finished (expired): it can be issued again (mpfleet ${action} ${d.id})`
        : `pending: ${action} requested ${since}, being applied`,
    );
  }
  if (d.cancelled && d.status !== 'cancelled') notes.push('cancel requested: targets under audit end cancelled once WeChat decides (or are withdrawn, if asked)');
  if (d.rolledBack) notes.push('rollback requested: released and gray targets go back to their previous version');
  return notes;
}

/**
 * The JSON for --json: the API's data unchanged, with the C1 controls JSON leaves raw written as
 * `\u0080`–`\u009f` escapes, so a script gets every character and a terminal shows none of them.
 */
export const json = (value: unknown) => JSON.stringify(value, null, 2).replace(/[\x80-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
