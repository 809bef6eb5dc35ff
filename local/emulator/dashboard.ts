/**
 * GET /__admin: a small auto-refreshing HTML page for demos — the platform's credentials and push
 * targets, each mini-program's authorization, committed and released version and audit status,
 * and the latest calls — with buttons for what the admin API does (decide a pending audit, reject
 * a share of the audits to come, revoke, push a ticket, inject and clear faults, run the
 * full-network check), so a demo needs no curl.
 * Each button carries its admin request (`data-method`, `data-path`, `data-body`); a few lines of
 * script send it and show the answer.
 */
import type { EmulatorContext } from './context';
import { LOCATION_API_NAMES } from './gates';
import { escapeHtml, layout } from './html';
import { failStatuses, summarizeRegistration } from './registrations';
import { summarizeMiniProgram } from './summary';

const MAX_ROWS = 200;
/**
 * One admin request as a button. `prompt`: asks for a value first, put into the body as
 * `promptField` (default `reason`; an empty answer leaves it out).
 */
function action(
  label: string,
  method: 'POST' | 'DELETE',
  path: string,
  body: Record<string, unknown> = {},
  opts: { kind?: 'secondary' | 'danger'; prompt?: string; promptField?: string; confirm?: string } = {},
): string {
  const attributes = [
    `class="act${opts.kind ? ` ${opts.kind}` : ''}"`,
    `data-method="${method}"`,
    `data-path="${escapeHtml(path)}"`,
    `data-body="${escapeHtml(JSON.stringify(body))}"`,
    opts.prompt ? `data-prompt="${escapeHtml(opts.prompt)}"` : '',
    opts.promptField ? `data-prompt-field="${escapeHtml(opts.promptField)}"` : '',
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
    if (reason.trim() !== '') body[button.dataset.promptField || 'reason'] = reason.trim();
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
const ICP_STATUS: Record<number, string> = {
  2: '平台审核中 platform review',
  3: '平台驳回 platform rejected',
  4: '管局审核中 authority review',
  5: '管局驳回 authority rejected',
  6: '已备案 filed',
  1024: '未备案 not filed',
  1025: '未备案 not filed',
};

/** ICP, privacy guide, basic info, categories and grants of one mini-program, for its row. */
function gatesCell(s: ReturnType<typeof summarizeMiniProgram>): string {
  const g = s.gates;
  const icp = `<span class="${g.icp.status === 6 ? 'ok' : 'bad'}">${escapeHtml(ICP_STATUS[g.icp.status] ?? g.icp.status)}</span>`;
  const guide = g.privacyGuide ? '<span class="ok">隐私指引 guide ✓</span>' : '<span class="bad">隐私指引 no guide</span>';
  const basic = g.basicInfo.missing.length === 0 ? '<span class="ok">基本信息 basic info ✓</span>' : `<span class="bad">missing ${escapeHtml(g.basicInfo.missing.join(', '))}</span>`;
  const categories = g.categories.length === 0 ? '<span class="bad">no category</span>' : escapeHtml(g.categories.map((c) => [c.first_class, c.second_class, c.third_class].filter(Boolean).join('>')).join('; '));
  const notGranted = LOCATION_API_NAMES.filter((api) => !g.grantedPrivacyApis.includes(api));
  const grants = notGranted.length === 0 ? '' : `<br><span class="bad">not granted: ${escapeHtml(notGranted.join(', '))}</span>`;
  const verify = g.verify.qualification
    ? ''
    : g.verify.expiredAt === undefined
      ? '<br><span class="bad">未认证 not verified</span>'
      : '<br><span class="bad">认证已过期 verification expired</span>';
  const rename = g.nicknameAudit?.status === 1 ? `<br><span class="muted">改名审核中 rename to ${escapeHtml(g.nicknameAudit.nickname)}</span>` : '';
  const inReview = g.categoryRequests.filter((r) => r.status === 1);
  const categoryReview = inReview.length === 0 ? '' : `<br><span class="muted">类目审核中 category under review: ${escapeHtml(inReview.map((r) => r.name).join('; '))}</span>`;
  const scan = s.committed?.scanning ? '<br><span class="muted">隐私扫描中 privacy scan running</span>' : '';
  return `${icp}<br>${guide} · ${basic}<br><span class="muted">${categories}</span>${grants}${verify}${rename}${categoryReview}${scan}`;
}

function gateActions(s: ReturnType<typeof summarizeMiniProgram>): string {
  const { appid, gates: g } = s;
  const buttons: string[] = [];
  if (g.icp.status !== 6) buttons.push(action('ICP filed', 'POST', '/__admin/icp', { appid, status: 6 }, { kind: 'secondary' }));
  if (g.icp.status === 6 || g.icp.status >= 1024) buttons.push(action('ICP review', 'POST', '/__admin/icp', { appid, status: 4 }, { kind: 'secondary' }));
  if (g.icp.status === 2 || g.icp.status === 4) buttons.push(action('Reject ICP', 'POST', '/__admin/icp', { appid, status: g.icp.status + 1 }, { kind: 'danger' }));
  if (g.icp.status !== 1024) buttons.push(action('ICP not filed', 'POST', '/__admin/icp', { appid, status: 1024 }, { kind: 'secondary' }));
  buttons.push(
    g.privacyGuide
      ? action('Delete guide', 'POST', '/__admin/privacy-guide', { appid, action: 'delete' }, { kind: 'secondary' })
      : action('Set guide', 'POST', '/__admin/privacy-guide', { appid, action: 'set' }, { kind: 'secondary' }),
  );
  buttons.push(
    g.basicInfo.missing.length === 0
      ? action('Clear signature', 'POST', '/__admin/basic-info', { appid, signature: '' }, { kind: 'secondary' })
      : action('Complete basic info', 'POST', '/__admin/basic-info', { appid, nickname: g.basicInfo.nickname || `小程序 ${appid.slice(2, 8)}`, headImage: g.basicInfo.headImage === '' ? true : g.basicInfo.headImage, signature: g.basicInfo.signature || '模拟器中的小程序 / an emulator mini-program' }, { kind: 'secondary' }),
  );
  if (g.nicknameAudit?.status === 1) {
    buttons.push(
      action('Approve rename', 'POST', '/__admin/finish-nickname-audit', { appid, outcome: 'approve' }),
      action('Reject rename…', 'POST', '/__admin/finish-nickname-audit', { appid, outcome: 'reject' }, { kind: 'danger', prompt: 'Reason for the rejection (empty: the default reason)' }),
    );
  } else {
    buttons.push(action('Rename…', 'POST', '/__admin/nickname-audit', { appid }, { kind: 'secondary', prompt: 'New name (reviewed: approve or reject it next)', promptField: 'nickname' }));
  }
  for (const r of g.categoryRequests.filter((request) => request.status === 1)) {
    const body = { appid, first: r.first, second: r.second };
    buttons.push(
      action(`Approve ${r.name}`, 'POST', '/__admin/finish-category-audit', { ...body, outcome: 'approve' }),
      action(`Reject ${r.name}…`, 'POST', '/__admin/finish-category-audit', { ...body, outcome: 'reject' }, { kind: 'danger', prompt: 'Reason for the rejection (empty: the default reason)' }),
    );
  }
  buttons.push(action('Categories…', 'POST', '/__admin/categories', { appid }, { kind: 'secondary', prompt: 'Category set 1-4 (0: none)', promptField: 'set' }));
  const getLocation = 'wx.getLocation';
  buttons.push(
    g.grantedPrivacyApis.includes(getLocation)
      ? action('Revoke wx.getLocation', 'POST', '/__admin/privacy-interface', { appid, api: getLocation, granted: false }, { kind: 'secondary' })
      : action('Grant wx.getLocation', 'POST', '/__admin/privacy-interface', { appid, api: getLocation, granted: true }, { kind: 'secondary' }),
  );
  if (g.verify.qualification) buttons.push(action('Expire verification', 'POST', '/__admin/expire-verification', { appid }, { kind: 'secondary' }));
  return buttons.join('');
}

function codeRows(ctx: EmulatorContext): string {
  const row = (label: string, body: Record<string, unknown>, code: { user_version: string; user_desc: string; privacyApis: string[]; requiredPrivateInfos: string[] }) =>
    `<tr><td>${escapeHtml(label)}</td><td>${escapeHtml(code.user_version)} <span class="muted">${escapeHtml(code.user_desc)}</span></td>
      <td><code>${escapeHtml(code.privacyApis.join(', ') || '—')}</code></td><td><code>${escapeHtml(code.requiredPrivateInfos.join(', ') || '—')}</code></td>
      <td>${action('Privacy APIs…', 'POST', '/__admin/code-privacy', body, { kind: 'secondary', prompt: 'Privacy APIs the code calls, comma-separated (e.g. wx.getLocation, wx.chooseImage)', promptField: 'privacyApis' })}
        ${action('Declared…', 'POST', '/__admin/code-privacy', body, { kind: 'secondary', prompt: 'requiredPrivateInfos of its app.json, comma-separated (e.g. getLocation)', promptField: 'requiredPrivateInfos' })}</td></tr>`;
  return [
    ...ctx.state.templates.map((t) => row(`template ${t.template_id}`, { templateId: t.template_id }, t)),
    ...ctx.state.drafts.map((d) => row(`draft ${d.draft_id}`, { draftId: d.draft_id }, d)),
  ].join('');
}

export function renderDashboard(ctx: EmulatorContext, url: string): string {
  const { state, platform, pushes } = ctx;
  const registeredMps = state.registeredMiniPrograms();
  const listed = [...state.seeded.slice(0, MAX_ROWS), ...registeredMps];
  const rows = listed.map((mp) => {
    const s = summarizeMiniProgram(ctx, mp);
    const audit = s.audit === null ? '—' : `${escapeHtml(AUDIT_STATUS[s.audit.status] ?? s.audit.status)} <span class="muted">#${s.audit.auditid} ${escapeHtml(s.audit.userVersion)}</span>`;
    const registered = mp.registration === undefined ? '' : `<br><span class="muted">快速注册 registered (${escapeHtml(mp.registration.kind)})</span>`;
    return `<tr><td><strong>${escapeHtml(s.nickName || '(no name yet)')}</strong><br><code>${escapeHtml(s.appid)}</code>${registered}</td>
      <td>${s.authorized ? '<span class="ok">已授权 yes</span>' : s.revokedAt ? '<span class="bad">已取消 revoked</span>' : '<span class="muted">未授权 no</span>'}</td>
      <td>${s.committed === null ? '—' : escapeHtml(s.committed.userVersion)}</td>
      <td>${audit}</td>
      <td>${s.released === null ? '—' : escapeHtml(s.released.userVersion)}</td>
      <td>${gatesCell(s)}</td>
      <td>${rowActions(s.appid, s.authorized, s.audit?.status)}<br>${gateActions(s)}</td></tr>`;
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
        <tr><th>audit outcome</th><td>${escapeHtml(state.auditOutcome.outcome)}${rejectShareText(ctx)}; quota ${quota.limit - quota.used}/${quota.limit}</td></tr>
        <tr><th>fault rules</th><td>${state.faults.size}</td></tr>
      </table></div>
    <div class="card"><h2>操作 <span class="en">Actions</span></h2>
      <div>${action('Push a ticket now', 'POST', '/__admin/push-ticket')}
        ${action('Run the full-network check', 'POST', '/__admin/full-network-test', {}, { kind: 'secondary' })}</div>
      <div><span class="muted">Audits:</span> ${action('Reject a share of audits…', 'POST', '/__admin/audit-outcome', {}, {
        kind: 'danger',
        prompt: 'Percentage of the audits decided from now on to reject (0-100, exact: 40 rejects 2 of 5; 0 turns it off). They get a default reason.',
        promptField: 'rejectPercent',
      })}${state.auditRejectShare === undefined ? '' : ` ${action('Stop rejecting a share', 'POST', '/__admin/audit-outcome', { rejectPercent: 0 }, { kind: 'secondary' })}`}</div>
      <div><span class="muted">Inject a fault:</span> ${FAULT_PRESETS.map((preset) => action(preset.label, 'POST', '/__admin/faults', preset.rule, { kind: 'secondary' })).join(' ')}
        ${action(`Clear faults (${state.faults.size})`, 'DELETE', '/__admin/faults', {}, { kind: 'secondary' })}</div>
      <div class="muted">Per mini-program (in the table below): approve / reject / delay its audit under review, revoke its authorization, issue a user's wx.login code (the answer shows it: exchange it with sns/component/jscode2session), send a user's text message (pushed to the message URL); and its release gates: ICP filing (pushed), privacy guide, basic info, renames (pushed), categories, the wx.getLocation grant, verification expiry (pushed).</div>
      <pre class="result" id="result" hidden></pre></div>
    ${registrationsCard(ctx)}
    <div class="card"><h2>小程序 <span class="en">Mini-programs (${state.seeded.length + registeredMps.length})</span></h2>
      <table><tr><th>name / appid</th><th>authorized</th><th>committed</th><th>audit</th><th>released</th><th>release gates</th><th>actions</th></tr>${rows.join('')}</table>${more}</div>
    <div class="card"><h2>代码隐私 <span class="en">What each template's code calls and declares (privacy scan after a commit)</span></h2>
      <table><tr><th></th><th>version</th><th>privacy APIs</th><th>requiredPrivateInfos</th><th>actions</th></tr>${codeRows(ctx)}</table></div>
    <div class="card"><h2>最近调用 <span class="en">Latest calls</span></h2>
      <table><tr><th>time (UTC)</th><th>method</th><th>path</th><th>appid</th><th>errcode / push</th></tr>${calls.join('')}</table></div>
    ${SCRIPT}`,
    // Refreshed by the script every 5 s, paused while an action runs and its answer is read.
    { wide: true },
  );
}

const REGISTRATION_STATE: Record<string, string> = {
  pending: '<span class="muted">待确认 pending</span>',
  confirmed: '<span class="ok">已创建 created</span>',
  failed: '<span class="bad">失败 failed</span>',
  expired: '<span class="bad">已超时 expired</span>',
};

/**
 * Fast registrations (快速注册), latest first: who they wait for, and for a pending one the
 * buttons of that person — confirm in WeChat (a new mini-program, pushed) or fail it with a status.
 */
function registrationsCard(ctx: EmulatorContext): string {
  const now = ctx.now();
  const registrations = ctx.state.registrations.slice(-MAX_ROWS).reverse().map((registration) => summarizeRegistration(registration, now));
  if (registrations.length === 0) {
    return `<div class="card"><h2>快速注册 <span class="en">Fast registrations</span></h2><p class="muted">None yet: the platform starts one with fastregisterweapp, fastregisterpersonalweapp or fastregisterbetaweapp; confirm or fail it here.</p></div>`;
  }
  const rows = registrations.map((r) => {
    const request = r.request as unknown as Record<string, unknown>;
    const who =
      r.kind === 'enterprise'
        ? `${escapeHtml(request.name)}<br><span class="muted">法人 ${escapeHtml(request.legal_persona_name)} (${escapeHtml(request.legal_persona_wechat)})</span>`
        : r.kind === 'personal'
          ? `${escapeHtml(request.idname)}<br><span class="muted">${escapeHtml(request.wxuser)}</span>`
          : `${escapeHtml(request.name)}<br><span class="muted">openid ${escapeHtml(request.openid)}</span>`;
    const outcome = r.appid !== undefined ? `<code>${escapeHtml(r.appid)}</code>` : r.failStatus !== undefined ? `${r.failStatus} <span class="muted">${escapeHtml(r.msg ?? '')}</span>` : '';
    const statuses = failStatuses(r.kind);
    const buttons =
      r.state === 'pending'
        ? action('Confirm in WeChat', 'POST', '/__admin/registrations/confirm', { taskId: r.taskId }) +
          action('Fail…', 'POST', '/__admin/registrations/fail', { taskId: r.taskId }, {
            kind: 'danger',
            prompt: `WeChat's failure status (${statuses === undefined ? 'any non-zero number' : Object.keys(statuses).join(', ')}; empty: the default)`,
            promptField: 'status',
          })
        : '';
    return `<tr><td>${escapeHtml(r.kind)}<br><code class="muted">${escapeHtml(r.taskId.slice(0, 16))}</code></td><td>${who}</td>
      <td>${REGISTRATION_STATE[r.state] ?? escapeHtml(r.state)}</td><td>${outcome}</td><td>${buttons}</td></tr>`;
  });
  return `<div class="card"><h2>快速注册 <span class="en">Fast registrations (${ctx.state.registrations.length})</span></h2>
      <table><tr><th>kind / task</th><th>subject</th><th>state</th><th>appid / failure</th><th>actions</th></tr>${rows.join('')}</table></div>`;
}

/** The reject share, when on: its percentage and what it did so far. */
function rejectShareText(ctx: EmulatorContext): string {
  const share = ctx.state.auditRejectShare;
  if (share === undefined) return '';
  const since = new Date(share.since).toISOString().slice(11, 19);
  return `, except <span class="bad">${share.rejectPercent}% rejected</span> <span class="muted">(${share.rejected} of ${share.decided} decided since ${since} UTC)</span>`;
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
  // A template backend's runtime: a user's wx.login code (shown in the answer, to copy), a user writing to the mini-program.
  buttons.push(
    action('wx.login code', 'POST', '/__admin/wx-login', { appid }, { kind: 'secondary' }),
    action('Send a text message…', 'POST', '/__admin/user-message', { appid, msgType: 'text' }, { kind: 'secondary', prompt: 'The message a user sends to this mini-program (pushed to its message URL)', promptField: 'content' }),
    action('User opens a chat…', 'POST', '/__admin/user-message', { appid, msgType: 'event', event: 'user_enter_tempsession' }, {
      kind: 'secondary',
      prompt: 'SessionFrom of the contact button (the user_enter_tempsession event pushed to the message URL; may be empty)',
      promptField: 'sessionFrom',
    }),
  );
  return buttons.join('');
}
