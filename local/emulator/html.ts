/** HTML for the authorization pages and the dashboard: escaping and one shared, mobile-friendly layout. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei",Helvetica,Arial,sans-serif;
    background:#ededed;color:#191919;line-height:1.5}
  main{max-width:640px;margin:0 auto;padding:16px}
  main.wide{max-width:1100px}
  .card{background:#fff;border-radius:8px;padding:20px;margin-bottom:16px}
  h1{font-size:20px;margin:0 0 4px}
  h2{font-size:16px;margin:0 0 12px}
  .en{color:#7f7f7f;font-size:13px}
  .platform{display:flex;align-items:center;gap:12px;margin-bottom:12px}
  .logo{width:44px;height:44px;border-radius:8px;background:#07c160;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:600}
  ul.scopes{padding-left:20px;margin:8px 0}
  label.choice{display:flex;align-items:center;gap:10px;padding:12px;border:1px solid #e5e5e5;border-radius:6px;margin-bottom:8px;cursor:pointer}
  label.choice:has(input:checked){border-color:#07c160;background:#f3fbf6}
  .appid{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#7f7f7f}
  button,.button{display:block;width:100%;padding:12px;border:0;border-radius:6px;background:#07c160;color:#fff;font-size:17px;cursor:pointer;text-align:center;text-decoration:none}
  .error{border-left:4px solid #fa5151}
  input[type=search]{width:100%;padding:10px;border:1px solid #e5e5e5;border-radius:6px;font-size:15px;margin-bottom:8px}
  table{border-collapse:collapse;width:100%;font-size:13px}
  th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eee;vertical-align:top}
  code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
  .ok{color:#07c160}.bad{color:#fa5151}.muted{color:#7f7f7f}
  button.act{display:inline-block;width:auto;padding:3px 10px;margin:2px 4px 2px 0;font-size:13px;border-radius:4px}
  button.act.secondary{background:#f2f2f2;color:#191919;border:1px solid #ddd}
  button.act.danger{background:#fa5151}
  button.act:disabled{opacity:.5;cursor:wait}
  pre.result{background:#f7f7f7;border-radius:6px;padding:10px;font-size:12px;max-height:320px;overflow:auto;white-space:pre-wrap;margin:8px 0 0}
`;

export function layout(title: string, body: string, opts: { wide?: boolean; refreshSec?: number } = {}): string {
  const refresh = opts.refreshSec === undefined ? '' : `<meta http-equiv="refresh" content="${opts.refreshSec}">`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main${opts.wide ? ' class="wide"' : ''}>${body}</main></body></html>`;
}
