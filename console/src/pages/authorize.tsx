/**
 * Authorize merchants: a fresh pair of authorization links (POST /api/auth-links) around one
 * pre_auth_code: a QR code of the in-WeChat link for the merchant's admin to scan, the PC link
 * (WeChat's consent page, scanned there), the in-WeChat link to copy and send, and when they expire.
 * The QR code is drawn here from the link (uqr): nothing is fetched for it.
 */
import { useCallback, useState } from 'preact/hooks';
import { renderSVG } from 'uqr';
import type { AuthLinks } from '../../../shared/contract/operator-api';
import { ApiError, sendJson } from '../api';
import { ErrorBox, usePoll } from '../components/common';
import { Time } from '../components/deployment-parts';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    title: '授权商家',
    intro: '生成一组新的授权链接，交给小程序管理员：用微信扫二维码，或在微信里打开链接，确认授权后该小程序即加入舰队。',
    create: '生成授权链接',
    again: '重新生成',
    creating: '生成中…',
    scan: '用微信扫码授权（手机）',
    pc: '电脑端授权页',
    pcHint: '在电脑浏览器打开微信的授权页，管理员用微信扫码确认。',
    openPc: '打开授权页 ↗',
    mobile: '微信内授权链接',
    mobileHint: '发给管理员，在微信里打开。',
    copy: '复制链接',
    copied: '已复制',
    copyFailed: '无法访问剪贴板：链接已选中，请手动复制。',
    expires: '有效期至',
    left: '（还剩约 {n} 分钟）',
    expired: '链接已过期：请重新生成。',
    single: '每组链接只能用于一次授权。',
    landing: '也可以把固定的商家授权页发给对方：',
  },
  en: {
    title: 'Authorize merchants',
    intro: "Create a fresh pair of authorization links for a mini-program's admin: scan the QR code with WeChat, or open the link inside WeChat; once they consent, the mini-program joins the fleet.",
    create: 'Create authorization links',
    again: 'Create new links',
    creating: 'Creating…',
    scan: 'Scan with WeChat (phone)',
    pc: 'Consent page on a PC',
    pcHint: "Opens WeChat's consent page in a browser; the admin confirms by scanning with WeChat.",
    openPc: 'Open the consent page ↗',
    mobile: 'Link to open inside WeChat',
    mobileHint: 'Send it to the admin to open in WeChat.',
    copy: 'Copy link',
    copied: 'Copied',
    copyFailed: 'The clipboard is not available: the link is selected, copy it by hand.',
    expires: 'Valid until',
    left: '(about {n} min left)',
    expired: 'These links have expired: create new ones.',
    single: 'Each pair of links serves one authorization.',
    landing: "Or send the merchant mpfleet's authorization page, which makes fresh links on every visit:",
  },
});

export function AuthorizePage() {
  const t = useT(messages);
  const [links, setLinks] = useState<AuthLinks>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [copy, setCopy] = useState<'copied' | 'failed'>();
  const [now, setNow] = useState(Date.now());
  usePoll(
    useCallback(() => setNow(Date.now()), []),
    15_000,
    links !== undefined,
  );

  const create = async () => {
    setBusy(true);
    setError(undefined);
    setCopy(undefined);
    try {
      setLinks(await sendJson<AuthLinks>('POST', '/api/auth-links', {}));
      setNow(Date.now());
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };

  const copyMobile = async () => {
    if (!links) return;
    try {
      await navigator.clipboard.writeText(links.mobileUrl);
      setCopy('copied');
    } catch {
      const node = document.querySelector('[data-testid="auth-mobile-link"]');
      if (node) window.getSelection()?.selectAllChildren(node);
      setCopy('failed');
    }
  };

  const msLeft = links ? new Date(links.expiresAt).getTime() - now : 0;
  const expired = links !== undefined && msLeft <= 0;
  const landing = `${window.location.origin}/authorize`;

  return (
    <section class="auth">
      <h1>{t('title')}</h1>
      <p class="muted">{t('intro')}</p>
      <div class="toolbar">
        <button type="button" class="primary" data-testid="auth-create" disabled={busy} onClick={() => void create()}>
          {busy ? t('creating') : links ? t('again') : t('create')}
        </button>
      </div>
      <ErrorBox error={error} />
      {links && (
        <div class={`auth-links${expired ? ' expired' : ''}`} data-testid="auth-links">
          <div class="card auth-qr-card">
            <h2>{t('scan')}</h2>
            {/* An SVG drawn here from the link by uqr: no external content. */}
            <div class="qr" data-testid="auth-qr" role="img" aria-label={links.mobileUrl} dangerouslySetInnerHTML={{ __html: renderSVG(links.mobileUrl, { border: 2 }) }} />
          </div>
          <div class="card auth-text">
            <h2>{t('pc')}</h2>
            <p class="muted">{t('pcHint')}</p>
            {/* WeChat accepts the consent page only when reached from the registered domain: send the origin for this link. */}
            <a data-testid="auth-pc-link" href={links.pcUrl} target="_blank" rel="noopener" referrerpolicy="origin">
              {t('openPc')}
            </a>
            <h2>{t('mobile')}</h2>
            <p class="muted">{t('mobileHint')}</p>
            <a data-testid="auth-mobile-link" class="mono auth-url" href={links.mobileUrl}>
              {links.mobileUrl}
            </a>
            <div class="toolbar">
              <button type="button" data-testid="auth-copy" onClick={() => void copyMobile()}>
                {t('copy')}
              </button>
              {copy === 'copied' && <span class="ok-box">✓ {t('copied')}</span>}
              {copy === 'failed' && <span class="field-error">{t('copyFailed')}</span>}
            </div>
            <p data-testid="auth-expires" data-expires-at={links.expiresAt}>
              {t('expires')}: <Time iso={links.expiresAt} /> {!expired && <span class="muted">{t('left', { n: Math.max(1, Math.round(msLeft / 60_000)) })}</span>}
            </p>
            {expired ? <p class="error">{t('expired')}</p> : <p class="muted">{t('single')}</p>}
          </div>
        </div>
      )}
      <p class="muted auth-landing">
        {t('landing')}{' '}
        <a href={landing} target="_blank" rel="noopener" class="mono">
          {landing}
        </a>
      </p>
    </section>
  );
}
