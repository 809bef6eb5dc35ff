/**
 * GET /__admin: a small auto-refreshing HTML page for demos — the platform's credentials and push
 * targets, each mini-program's authorization, committed and released version and audit status,
 * and the latest calls.
 */
import type { EmulatorContext } from './context';
import { escapeHtml, layout } from './html';
import { summarizeMiniProgram } from './summary';

const MAX_ROWS = 200;
const AUDIT_STATUS: Record<number, string> = { 0: '通过 approved', 1: '驳回 rejected', 2: '审核中 under review', 3: '已撤回 withdrawn', 4: '延后 delayed' };

export function renderDashboard(ctx: EmulatorContext, url: string): string {
  const { state, platform, pushes } = ctx;
  const rows = state.seeded.slice(0, MAX_ROWS).map((mp) => {
    const s = summarizeMiniProgram(ctx, mp);
    const audit = s.audit === null ? '—' : `${escapeHtml(AUDIT_STATUS[s.audit.status] ?? s.audit.status)} <span class="muted">#${s.audit.auditid} ${escapeHtml(s.audit.userVersion)}</span>`;
    return `<tr><td><strong>${escapeHtml(s.nickName)}</strong><br><code>${escapeHtml(s.appid)}</code></td>
      <td>${s.authorized ? '<span class="ok">已授权 yes</span>' : s.revokedAt ? '<span class="bad">已取消 revoked</span>' : '<span class="muted">未授权 no</span>'}</td>
      <td>${s.committed === null ? '—' : escapeHtml(s.committed.userVersion)}</td>
      <td>${audit}</td>
      <td>${s.released === null ? '—' : escapeHtml(s.released.userVersion)}</td></tr>`;
  });
  const more = state.seeded.length > MAX_ROWS ? `<p class="muted">… ${state.seeded.length - MAX_ROWS} more (see /__admin/state)</p>` : '';
  const calls = state.calls
    .recent(20)
    .reverse()
    .map((call) => {
      const when = new Date(call.time).toISOString().slice(11, 23);
      const outcome =
        call.kind === 'api'
          ? call.errcode === 0 ? '<span class="ok">0</span>' : `<span class="bad">${call.errcode}</span>`
          : call.delivered ? `<span class="ok">${escapeHtml(call.type)} ✓</span>` : `<span class="bad">${escapeHtml(call.type)} ✗ ${escapeHtml(call.error ?? call.status ?? '')}</span>`;
      return `<tr><td>${when}</td><td>${call.kind === 'api' ? escapeHtml(call.method) : 'PUSH'}</td><td><code>${escapeHtml(call.path)}</code></td>
        <td><code>${escapeHtml(call.appid ?? '')}</code></td><td>${outcome}</td></tr>`;
    });
  const ticket = state.latestTicket();
  const quota = state.currentQuota();
  return layout(
    'WeChat emulator',
    `<div class="card"><h1>mpfleet 微信模拟器</h1><div class="en">WeChat emulator — refreshes every 5 s</div>
      <table>
        <tr><th>API base</th><td><code>${escapeHtml(url)}</code></td></tr>
        <tr><th>component_appid</th><td><code>${escapeHtml(platform.componentAppid)}</code></td></tr>
        <tr><th>component secret</th><td><code>${escapeHtml(platform.componentSecret)}</code></td></tr>
        <tr><th>token / EncodingAESKey</th><td><code>${escapeHtml(platform.token)}</code> / <code>${escapeHtml(platform.encodingAesKey)}</code></td></tr>
        <tr><th>ticket URL</th><td><code>${escapeHtml(pushes.targets.ticketUrl ?? '(not set)')}</code></td></tr>
        <tr><th>message URL</th><td><code>${escapeHtml(pushes.targets.callbackUrlTemplate ?? '(not set)')}</code></td></tr>
        <tr><th>latest ticket</th><td>${ticket === undefined ? '—' : new Date(ticket.createdAt).toISOString()}</td></tr>
        <tr><th>audit outcome</th><td>${escapeHtml(state.auditOutcome.outcome)}; quota ${quota.limit - quota.used}/${quota.limit}</td></tr>
        <tr><th>fault rules</th><td>${state.faults.size}</td></tr>
      </table></div>
    <div class="card"><h2>小程序 <span class="en">Mini-programs (${state.seeded.length})</span></h2>
      <table><tr><th>name / appid</th><th>authorized</th><th>committed</th><th>audit</th><th>released</th></tr>${rows.join('')}</table>${more}</div>
    <div class="card"><h2>最近调用 <span class="en">Latest calls</span></h2>
      <table><tr><th>time (UTC)</th><th>method</th><th>path</th><th>appid</th><th>errcode / push</th></tr>${calls.join('')}</table></div>`,
    { wide: true, refreshSec: 5 },
  );
}
