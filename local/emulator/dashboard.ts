/**
 * GET /__admin: a small auto-refreshing HTML page for demos — the platform's credentials and push
 * targets, each mini-program's authorization, committed and released version and audit status,
 * and the latest calls — with buttons for what the admin API does (decide a pending audit, revoke,
 * push a ticket, inject and clear faults, run the full-network check), so a demo needs no curl.
 * Each button carries its admin request (`data-method`, `data-path`, `data-body`); a few lines of
 * script send it and show the answer.
 */
import type { EmulatorContext } from './context';
import { escapeHtml, layout } from './html';
import { summarizeMiniProgram } from './summary';

const MAX_ROWS = 200;
/** One admin request as a button. `prompt`: asks for a `reason` first (empty: the default one). */
function action(label: string, method: 'POST' | 'DELETE', path: string, body: Record<string, unknown> = {}, opts: { kind?: 'secondary' | 'danger'; prompt?: string; confirm?: string } = {}): string {
  const attributes = [
    `class="act${opts.kind ? ` ${opts.kind}` : ''}"`,
    `data-method="${method}"`,
    `data-path="${escapeHtml(path)}"`,
    `data-body="${escapeHtml(JSON.stringify(body))}"`,
    opts.prompt ? `data-prompt="${escapeHtml(opts.prompt)}"` : '',
    opts.confirm ? `data-confirm="${escapeHtml(opts.confirm)}"` : '',
  ].filter(Boolean);
  return `<button type="button" ${attributes.join(' ')}>${escapeHtml(label)}</button>`;
}

/** The faults a demo most often wants, one click each. */
export const FAULT_PRESETS: readonly { label: string; rule: Record<string, unknown> }[] = [
  { label: '-1 on commit (system busy)', rule: { path: '/wxa/commit', errcode: -1 } },
  { label: '45009 on submit_audit (quota)', rule: { path: '/wxa/submit_audit', errcode: 45009 } },
  { label: '3 s latency on every API', rule: { latencyMs: 3000 } },
];

const SCRIPT = `<script>
let pausedUntil = 0;
setInterval(() => { if (Date.now() > pausedUntil) location.reload(); }, 5000);
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-path]');
  if (!button) return;
  const body = JSON.parse(button.dataset.body || '{}');
  pausedUntil = Date.now() + 120000;
  if (button.dataset.confirm && !confirm(button.dataset.confirm)) { pausedUntil = 0; return; }
  if (button.dataset.prompt) {
    const reason = prompt(button.dataset.prompt, '');
    if (reason === null) { pausedUntil = 0; return; }
    if (reason.trim() !== '') body.reason = reason.trim();
  }
  const out = document.getElementById('result');
  out.hidden = false;
  out.textContent = button.textContent + ' …';
  button.disabled = true;
  try {
    const init = { method: button.dataset.method, headers: { 'content-type': 'application/json' } };
    if (button.dataset.method !== 'DELETE') init.body = JSON.stringify(body);
    const response = await fetch(button.dataset.path, init);
    const text = await response.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
    out.textContent = button.textContent + ' → ' + response.status + (response.ok ? '' : ' (refused)') + '\\n' + shown;
  } catch (error) {
    out.textContent = button.textContent + ' failed: ' + error;
  } finally {
    button.disabled = false;
    pausedUntil = Date.now() + 10000; // time to read the answer before the page refreshes
  }
});
</script>`;

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
      <td>${s.released === null ? '—' : escapeHtml(s.released.userVersion)}</td>
      <td>${rowActions(s.appid, s.authorized, s.audit?.status)}</td></tr>`;
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
    <div class="card"><h2>操作 <span class="en">Actions</span></h2>
      <div>${action('Push a ticket now', 'POST', '/__admin/push-ticket')}
        ${action('Run the full-network check', 'POST', '/__admin/full-network-test', {}, { kind: 'secondary' })}</div>
      <div><span class="muted">Inject a fault:</span> ${FAULT_PRESETS.map((preset) => action(preset.label, 'POST', '/__admin/faults', preset.rule, { kind: 'secondary' })).join(' ')}
        ${action(`Clear faults (${state.faults.size})`, 'DELETE', '/__admin/faults', {}, { kind: 'secondary' })}</div>
      <div class="muted">Per mini-program: approve / reject / delay its audit under review, revoke its authorization (in the table below).</div>
      <pre class="result" id="result" hidden></pre></div>
    <div class="card"><h2>小程序 <span class="en">Mini-programs (${state.seeded.length})</span></h2>
      <table><tr><th>name / appid</th><th>authorized</th><th>committed</th><th>audit</th><th>released</th><th>actions</th></tr>${rows.join('')}</table>${more}</div>
    <div class="card"><h2>最近调用 <span class="en">Latest calls</span></h2>
      <table><tr><th>time (UTC)</th><th>method</th><th>path</th><th>appid</th><th>errcode / push</th></tr>${calls.join('')}</table></div>
    ${SCRIPT}`,
    // Refreshed by the script every 5 s, paused while an action runs and its answer is read.
    { wide: true },
  );
}

function rowActions(appid: string, authorized: boolean, auditStatus: number | undefined): string {
  const buttons: string[] = [];
  if (auditStatus === 2 || auditStatus === 4) {
    buttons.push(
      action('Approve', 'POST', '/__admin/finish-audit', { appid, outcome: 'approve' }),
      action('Reject…', 'POST', '/__admin/finish-audit', { appid, outcome: 'reject' }, { kind: 'danger', prompt: 'Reason for the rejection (empty: the default reason)' }),
    );
    if (auditStatus === 2) buttons.push(action('Delay', 'POST', '/__admin/finish-audit', { appid, outcome: 'delay' }, { kind: 'secondary' }));
  }
  if (authorized) buttons.push(action('Revoke', 'POST', '/__admin/revoke', { appid }, { kind: 'secondary', confirm: `Revoke the authorization of ${appid}? mpfleet gets the unauthorized push.` }));
  return buttons.join('');
}
