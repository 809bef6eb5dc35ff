/**
 * The audit desk: an audit submitted with wxa/submit_audit is decided after `auditDelayMs`
 * according to the outcome configured for the mini-program (or the global default), and the
 * decision is pushed to the mini-program's message URL (docs/wechat-protocol.md §5):
 * approve → weapp_audit_success; reject → weapp_audit_fail; delay → weapp_audit_delay and a
 * success one more delay later; silent → approved but never pushed (a lost push). A platform-wide
 * reject share (admin: audit-outcome `rejectPercent`) turns an exact share of the decisions that
 * follow the global outcome into rejections.
 */
import type { Pusher, PushFields } from './pushes';
import type { Audit, AuditRejectShare, EmulatorState, MiniProgram, OutcomeSetting } from './state';

/** An operator's decision on one audit (the dashboard's approve / reject / delay buttons). */
export type AuditDecision = OutcomeSetting;

/** WeChat sends audit events from a system account; the value only has to look like an openid. */
export const AUDIT_NOTIFIER_OPENID = 'oEmuAuditNotifier0000000000x';

export const DEFAULT_REJECT_REASON =
  '1:小程序名称与实际服务内容不符<br>(1):请确保名称与服务一致 / The name does not match what the mini-program offers.';
export const DEFAULT_REJECT_SCREENSHOT = 'emulator_screenshot_media_1|emulator_screenshot_media_2';
/** The reason of an audit rejected by the reject share, unless the share was given its own. */
export const DEFAULT_SHARE_REJECT_REASON =
  '1:小程序部分功能无法正常使用<br>(1):审核时部分页面加载失败或报错，请修复后重新提交 / Part of the mini-program does not work: some pages failed to load or showed an error during the review.';
export const DEFAULT_DELAY_REASON = '审核延后，需要更多时间复核 / The review needs more time.';

interface AuditDeskDeps {
  state: EmulatorState;
  pushes: Pusher;
  delayMs: () => number;
  /** The emulator's clock: decision times are kept on it, so they mean the same after a restart. */
  now: () => number;
  /** A decision or a push outcome changed what the state file keeps (not called for route-driven changes). */
  changed: () => void;
  log: (line: string) => void;
}

interface PendingDecision {
  mp: MiniProgram;
  timer: NodeJS.Timeout;
  /** On the emulator's clock, epoch milliseconds. */
  dueAt: number;
}

/** An audit push not yet acknowledged: sent again after a restart. */
interface UnackedPush {
  id: number;
  appid: string;
  auditid: number;
  fields: PushFields;
}

/** What the desk keeps across a restart: decisions still to make and pushes still to deliver. */
export interface AuditDeskSnapshot {
  pending: { appid: string; auditid: number; dueAt: number }[];
  unacked: UnackedPush[];
}

export class AuditDesk {
  private readonly pending = new Map<number, PendingDecision>();
  private readonly unacked = new Map<number, UnackedPush>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private nextPushId = 1;
  private closed = false;

  constructor(private readonly deps: AuditDeskDeps) {}

  submit(mp: MiniProgram, audit: Audit): void {
    this.schedule(mp, audit, this.deps.delayMs());
  }

  /** Decides the latest audit of `mp` right away (a delayed one then succeeds). */
  finishNow(mp: MiniProgram, decision?: AuditDecision): Audit | undefined {
    const audit = this.deps.state.latestAudit(mp);
    if (audit === undefined || !isUnderReview(audit)) return undefined;
    this.cancel(audit);
    this.decide(mp, audit, decision);
    return audit;
  }

  /** undocodeaudit: the audit is withdrawn and no decision follows. */
  withdraw(audit: Audit): void {
    this.cancel(audit);
    audit.status = 3;
  }

  /** speedupaudit: halves the remaining review time. */
  speedUp(mp: MiniProgram, audit: Audit): void {
    const pending = this.pending.get(audit.auditid);
    if (pending === undefined) return;
    const remaining = Math.max(0, pending.dueAt - this.deps.now());
    this.cancel(audit);
    this.schedule(mp, audit, Math.floor(remaining / 2));
  }

  snapshot(): AuditDeskSnapshot {
    return {
      pending: [...this.pending].map(([auditid, { mp, dueAt }]) => ({ appid: mp.appid, auditid, dueAt })),
      unacked: [...this.unacked.values()],
    };
  }

  /**
   * After a restart: re-arms the decisions from their due times (one due while the emulator was
   * down is made `minDelayMs` after start, once push targets are known) and sends the pushes that
   * were never acknowledged again. An audit under review without a due time gets a fresh delay.
   */
  resume(snapshot: AuditDeskSnapshot, minDelayMs: number): void {
    const { state } = this.deps;
    const now = this.deps.now();
    const dueAt = new Map(snapshot.pending.map((p) => [p.auditid, p.dueAt]));
    for (const mp of state.miniPrograms.values()) {
      const audit = state.latestAudit(mp);
      if (audit === undefined || !isUnderReview(audit) || this.pending.has(audit.auditid)) continue;
      const due = dueAt.get(audit.auditid) ?? now + this.deps.delayMs();
      this.schedule(mp, audit, Math.max(minDelayMs, due - now), due);
    }
    for (const push of snapshot.unacked) {
      const mp = state.get(push.appid);
      if (mp === undefined) continue;
      this.nextPushId = Math.max(this.nextPushId, push.id + 1);
      this.unacked.set(push.id, push);
      const timer = setTimeout(() => {
        this.resumeTimers.delete(timer);
        if (!this.closed) this.send(mp, push);
      }, minDelayMs);
      this.resumeTimers.add(timer);
    }
  }

  /** Stops the timers; what is pending stays in the snapshot, for the next start. */
  close(): void {
    this.closed = true;
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
  }

  private schedule(mp: MiniProgram, audit: Audit, delayMs: number, dueAt = this.deps.now() + delayMs): void {
    const timer = setTimeout(() => {
      this.pending.delete(audit.auditid);
      this.decide(mp, audit);
      this.deps.changed();
    }, delayMs);
    timer.unref();
    this.pending.set(audit.auditid, { mp, timer, dueAt });
  }

  private cancel(audit: Audit): void {
    const pending = this.pending.get(audit.auditid);
    if (pending !== undefined) clearTimeout(pending.timer);
    this.pending.delete(audit.auditid);
  }

  /** `decision`: this audit's outcome, instead of the mini-program's (or the global) setting. */
  private decide(mp: MiniProgram, audit: Audit, decision?: AuditDecision): void {
    const { state, log } = this.deps;
    const now = state.nowSec();
    if (audit.status === 4 && decision === undefined) {
      this.approve(mp, audit, now, true);
      return;
    }
    if (audit.status !== 2 && audit.status !== 4) return;
    const configured: OutcomeSetting & { share?: AuditRejectShare } = decision ?? shareDecision(state, mp);
    const { outcome, reason, share } = configured;
    switch (outcome) {
      case 'approve':
        this.approve(mp, audit, now, true);
        return;
      case 'silent':
        this.approve(mp, audit, now, false);
        log(`audit ${audit.auditid} of ${mp.appid} approved silently (push withheld)`);
        return;
      case 'reject':
        audit.status = 1;
        audit.reason = reason ?? DEFAULT_REJECT_REASON;
        audit.screenshot = DEFAULT_REJECT_SCREENSHOT;
        audit.decidedAt = now;
        log(`audit ${audit.auditid} of ${mp.appid} rejected${share === undefined ? '' : ` by the reject share (${share.rejectPercent}%: ${share.rejected} of ${share.decided})`}`);
        this.push(mp, audit, { Event: 'weapp_audit_fail', Reason: audit.reason, FailTime: now, ScreenShot: audit.screenshot });
        return;
      case 'delay':
        audit.status = 4;
        audit.reason = reason ?? DEFAULT_DELAY_REASON;
        log(`audit ${audit.auditid} of ${mp.appid} delayed`);
        this.push(mp, audit, { Event: 'weapp_audit_delay', Reason: audit.reason, DelayTime: now });
        this.schedule(mp, audit, this.deps.delayMs());
        return;
    }
  }

  private approve(mp: MiniProgram, audit: Audit, now: number, push: boolean): void {
    audit.status = 0;
    delete audit.reason;
    audit.decidedAt = now;
    if (!push) return;
    this.deps.log(`audit ${audit.auditid} of ${mp.appid} approved`);
    this.push(mp, audit, { Event: 'weapp_audit_success', SuccTime: now });
  }

  private push(mp: MiniProgram, audit: Audit, fields: PushFields): void {
    const push: UnackedPush = { id: this.nextPushId++, appid: mp.appid, auditid: audit.auditid, fields: { MsgType: 'event', ...fields } };
    this.unacked.set(push.id, push);
    this.send(mp, push);
  }

  /** Forgets the push once acknowledged, or once WeChat's retries are spent; one cut short by close is kept. */
  private send(mp: MiniProgram, push: UnackedPush): void {
    void this.deps.pushes.miniProgramEvent(mp, AUDIT_NOTIFIER_OPENID, push.fields).then((result) => {
      if (!result.delivered && this.closed) return;
      this.unacked.delete(push.id);
      if (!this.closed) this.deps.changed();
    });
  }
}

/**
 * The configured outcome of an audit decided now, counting it into the reject share when one is on:
 * the appid's own outcome wins (not counted); otherwise the k-th audit decided under the share is
 * rejected when floor(k × rejectPercent / 100) goes up — so after n of them exactly
 * floor(n × rejectPercent / 100) were rejected (40%: the 3rd, 5th, 8th, 10th, …) — and the others
 * follow the global outcome.
 */
export function shareDecision(state: EmulatorState, mp: MiniProgram): OutcomeSetting & { share?: AuditRejectShare } {
  const share = state.auditRejectShare;
  if (mp.outcome !== undefined || share === undefined) return state.outcomeFor(mp);
  share.decided += 1;
  if (Math.floor((share.decided * share.rejectPercent) / 100) <= share.rejected) return state.auditOutcome;
  share.rejected += 1;
  return { outcome: 'reject', reason: share.reason, share };
}

export function isUnderReview(audit: Audit): boolean {
  return audit.status === 2 || audit.status === 4;
}
