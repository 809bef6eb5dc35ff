/**
 * The audit desk: an audit submitted with wxa/submit_audit is decided after `auditDelayMs`
 * according to the outcome configured for the mini-program (or the global default), and the
 * decision is pushed to the mini-program's message URL (docs/wechat-protocol.md §5):
 * approve → weapp_audit_success; reject → weapp_audit_fail; delay → weapp_audit_delay and a
 * success one more delay later; silent → approved but never pushed (a lost push).
 */
import type { Pusher } from './pushes';
import type { Audit, EmulatorState, MiniProgram } from './state';

/** WeChat sends audit events from a system account; the value only has to look like an openid. */
export const AUDIT_NOTIFIER_OPENID = 'oEmuAuditNotifier0000000000x';

export const DEFAULT_REJECT_REASON =
  '1:小程序名称与实际服务内容不符<br>(1):请确保名称与服务一致 / The name does not match what the mini-program offers.';
export const DEFAULT_REJECT_SCREENSHOT = 'emulator_screenshot_media_1|emulator_screenshot_media_2';
export const DEFAULT_DELAY_REASON = '审核延后，需要更多时间复核 / The review needs more time.';

interface AuditDeskDeps {
  state: EmulatorState;
  pushes: Pusher;
  delayMs: () => number;
  log: (line: string) => void;
}

interface PendingDecision {
  timer: NodeJS.Timeout;
  dueAt: number;
}

export class AuditDesk {
  private readonly pending = new Map<number, PendingDecision>();

  constructor(private readonly deps: AuditDeskDeps) {}

  submit(mp: MiniProgram, audit: Audit): void {
    this.schedule(mp, audit, this.deps.delayMs());
  }

  /** Decides the latest audit of `mp` right away (a delayed one then succeeds). */
  finishNow(mp: MiniProgram): Audit | undefined {
    const audit = this.deps.state.latestAudit(mp);
    if (audit === undefined || !isUnderReview(audit)) return undefined;
    this.cancel(audit);
    this.decide(mp, audit);
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
    const remaining = Math.max(0, pending.dueAt - Date.now());
    this.cancel(audit);
    this.schedule(mp, audit, Math.floor(remaining / 2));
  }

  close(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private schedule(mp: MiniProgram, audit: Audit, delayMs: number): void {
    const timer = setTimeout(() => {
      this.pending.delete(audit.auditid);
      this.decide(mp, audit);
    }, delayMs);
    timer.unref();
    this.pending.set(audit.auditid, { timer, dueAt: Date.now() + delayMs });
  }

  private cancel(audit: Audit): void {
    const pending = this.pending.get(audit.auditid);
    if (pending !== undefined) clearTimeout(pending.timer);
    this.pending.delete(audit.auditid);
  }

  private decide(mp: MiniProgram, audit: Audit): void {
    const { state, log } = this.deps;
    const now = state.nowSec();
    if (audit.status === 4) {
      this.approve(mp, audit, now, true);
      return;
    }
    if (audit.status !== 2) return;
    const { outcome, reason } = state.outcomeFor(mp);
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
        log(`audit ${audit.auditid} of ${mp.appid} rejected`);
        this.push(mp, { Event: 'weapp_audit_fail', Reason: audit.reason, FailTime: now, ScreenShot: audit.screenshot });
        return;
      case 'delay':
        audit.status = 4;
        audit.reason = reason ?? DEFAULT_DELAY_REASON;
        log(`audit ${audit.auditid} of ${mp.appid} delayed`);
        this.push(mp, { Event: 'weapp_audit_delay', Reason: audit.reason, DelayTime: now });
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
    this.push(mp, { Event: 'weapp_audit_success', SuccTime: now });
  }

  private push(mp: MiniProgram, fields: Record<string, string | number>): void {
    void this.deps.pushes.miniProgramEvent(mp, AUDIT_NOTIFIER_OPENID, { MsgType: 'event', ...fields });
  }
}

export function isUnderReview(audit: Audit): boolean {
  return audit.status === 2 || audit.status === 4;
}
