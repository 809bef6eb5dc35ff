/**
 * `GET /` of the local runtime: a small index for whoever opens the API URL in a browser. Served
 * by the local runtime only; on AWS the API has no `/` route (API Gateway answers 404 there).
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The emulator's dashboard, when WeChat is the built-in emulator (a loopback WECHAT_API_BASE). */
export function emulatorDashboardUrl(apiBase = process.env.WECHAT_API_BASE): string | undefined {
  if (!apiBase || !URL.canParse(apiBase)) return undefined;
  const url = new URL(apiBase);
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) ? `${url.origin}/__admin` : undefined;
}

export function indexPage(options: { dashboardUrl?: string } = {}): string {
  const dashboard = options.dashboardUrl
    ? `<li><a href="${escapeHtml(options.dashboardUrl)}">WeChat emulator dashboard</a> — the mini-programs, audits, call log, and buttons to approve, reject, revoke, inject faults</li>`
    : '<li>WeChat: the real API (<code>WECHAT_API_BASE</code>), no emulator dashboard</li>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mpfleet (local)</title>
<style>body{font:15px/1.55 system-ui,sans-serif;max-width:720px;margin:40px auto;padding:0 16px;color:#1f2328}code{background:#f3f4f6;padding:1px 4px;border-radius:4px}a{color:#0969da}</style>
</head>
<body>
<h1>mpfleet, running locally</h1>
<ul>
<li><a href="/authorize">/authorize</a> — authorize a mini-program (the page a merchant opens)</li>
${dashboard}
<li><a href="/health">/health</a> — health check</li>
<li><code>/api/…</code> — the operator API, with <code>Authorization: Bearer &lt;operator token&gt;</code> (printed by <code>npm start</code>); or the CLI: <code>npx mpfleet tenants</code></li>
</ul>
<h2>Docs (in the repository)</h2>
<ul>
<li><code>README.md</code> — start here: the operator API, deploy states, configuration</li>
<li><code>cli/README.md</code> — the <code>mpfleet</code> CLI walkthrough: configure tenants, deploy, release, roll back</li>
<li><code>local/emulator/README.md</code> — the built-in WeChat emulator and its admin API</li>
</ul>
</body>
</html>
`;
}
