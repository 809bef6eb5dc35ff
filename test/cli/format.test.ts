import { describe, expect, it } from 'vitest';
import { countsInline, countsBlock, displayWidth, LIFECYCLE, table, targetDetail, targetProblem } from '../../cli/format';
import { LinesDisplay } from '../../cli/progress';
import type { DeploymentSummary } from '../../shared/contract/operator-api';
import { TARGET_STATES } from '../../shared/deployments/target-machine';

describe('table', () => {
  it('aligns columns by terminal width, counting CJK characters as two cells', () => {
    const text = table(['APPID', 'NAME', 'STATUS'], [
      ['wx1', '示例小程序', 'active'],
      ['wx22', 'shop', null],
    ]);
    const lines = text.split('\n');
    expect(lines).toEqual(['APPID  NAME        STATUS', 'wx1    示例小程序  active', 'wx22   shop        -']);
    expect(displayWidth(lines[1]!.slice(0, lines[1]!.indexOf('active')))).toBe(lines[0]!.indexOf('STATUS'));
  });
});

describe('counts', () => {
  it('lists states in lifecycle order and leaves out empty ones', () => {
    const counts = { failed: 1, released: 3, queued: 0, committing: 2, someday_state: 1 };
    expect(countsInline(counts)).toBe('committing 2, released 3, failed 1, someday_state 1');
    expect(countsBlock({ committed: 12, failed: 1 })).toBe('  committed  12\n  failed      1');
    expect(countsInline({})).toBe('no targets yet');
  });

  it("keeps its own list of the server's target states, in the server's lifecycle order", () => {
    // The bin carries no server code, so the CLI lists the states itself: this keeps the two equal.
    expect(LIFECYCLE).toEqual(TARGET_STATES);
    const counts = { cancelled: 1, rolled_back: 1, reverting_gray: 1, gray: 2, withdrawing: 1, waiting: 3, released: 1, approved: 1 };
    expect(countsInline(counts)).toBe('waiting 3, withdrawing 1, approved 1, gray 2, reverting_gray 1, released 1, rolled_back 1, cancelled 1');
  });

  it("a target's detail: its gray share, what it waits for, where a rollback goes, its audit after a cancel", () => {
    const target = { appid: 'wx', attempts: 0, updatedAt: '' };
    expect(targetDetail({ ...target, state: 'gray', grayPercentage: 20 })).toBe('20% of users');
    expect(targetDetail({ ...target, state: 'waiting', waitingFor: 'd-1' })).toBe('waits for d-1');
    expect(targetDetail({ ...target, state: 'released', rollbackTo: '1.0.0', error: { code: 87011, message: 'gray release running' } })).toBe('rollback to 1.0.0');
    expect(targetDetail({ ...target, state: 'cancelled', auditOutcome: 'rejected', auditDelayed: true })).toBe('audit rejected');
    expect(targetDetail({ ...target, state: 'auditing', auditDelayed: true })).toBe('audit delayed');
    expect(targetDetail({ ...target, state: 'approved' })).toBeUndefined();
  });

  it("a target's problem is WeChat's errcode and message, or the audit's reason", () => {
    expect(targetProblem({ appid: 'wx', state: 'failed', attempts: 3, updatedAt: '', error: { code: 85013, message: 'invalid ext_json' } })).toBe('85013: invalid ext_json');
    expect(targetProblem({ appid: 'wx', state: 'rejected', attempts: 1, updatedAt: '', reason: '类目不符' })).toBe('类目不符');
  });
});

describe('plain watch output (stdout is not a terminal)', () => {
  it('prints one line per change of status or counts, nothing for an unchanged poll', () => {
    let written = '';
    const display = new LinesDisplay({ write: (chunk: string) => (written += chunk) });
    const view = (status: DeploymentSummary['status'], counts: Record<string, number>, total: number): DeploymentSummary => ({
      id: 'd-1',
      status,
      templateId: 1,
      userVersion: '1.0.0',
      userDesc: 'test',
      submitAudit: true,
      release: 'auto',
      counts,
      total,
      createdAt: '',
      updatedAt: '',
    });
    display.update(view('preparing', {}, 0));
    display.update(view('running', { queued: 2 }, 2));
    display.update(view('running', { queued: 2 }, 2));
    display.update(view('running', { committing: 1, committed: 1 }, 2));
    display.update(view('completed', { committed: 1, failed: 1 }, 2));
    expect(written).toBe(
      [
        'preparing: no targets yet (0 targets)',
        'running: queued 2 (2 targets)',
        'running: committing 1, committed 1 (2 targets)',
        'completed: committed 1, failed 1 (2 targets)',
        '',
      ].join('\n'),
    );
  });
});
