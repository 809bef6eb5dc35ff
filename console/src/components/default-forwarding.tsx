/**
 * The platform default forward URL: where the messages and events of every tenant without a URL
 * of its own go. Shows it (or "not set"), its signing secret behind a reveal toggle (GET answers
 * the secret for the platform default; it stays in this component's state only), a form that sets
 * it (the answer's secret shown with a copy button), and a button that stops it. Explains which
 * URL wins and what a receiver gets, pointing at the sample receiver in the repository.
 */
import { useState } from 'preact/hooks';
import type { ForwardingSettings } from '../../../shared/contract/operator-api';
import { ApiError, getJson } from '../api';
import { defineMessages, useT } from '../i18n';
import { Show, useLoad } from './common';
import { Time } from './deployment-parts';
import { ForwardUrlForm } from './forward-url-form';
import { SecretBox } from './secret-box';

const messages = defineMessages({
  zh: {
    title: '默认转发地址',
    intro: '用户发给小程序的消息和事件（mpfleet 自己不处理的）以 JSON POST 到转发地址。这里设置平台默认地址，用于所有没有自己地址的小程序。',
    precedence: '优先级：小程序自己的转发地址优先于这里的默认地址；在小程序详情页的“消息转发”中为单个小程序设置或停止。',
    headers: '接收方收到的请求头：',
    idHeader: '消息的 MsgId（事件为去重键）；重试时不变，接收方按它去重。',
    signatureHeader: 't 为 Unix 秒，v1 为以签名密钥对 "<t>.<原始请求体>" 计算的 HMAC-SHA256（十六进制）。请在原始请求体上校验，并拒绝过旧的 t。',
    sample: '示例接收方（校验签名、去重、回应 2xx）见仓库中的 docs/examples/template-backend.ts。',
    current: '当前地址',
    notSet: '未设置：没有自己地址的小程序的消息不会被转发。',
    since: '设置于',
    secret: '签名密钥',
    reveal: '显示密钥',
    hide: '隐藏密钥',
    url: '默认转发地址（http 或 https）',
    rotate: '生成新的签名密钥',
    save: '保存默认地址',
    saving: '保存中…',
    saved: '已保存。接收方用这个签名密钥校验 X-Mpfleet-Signature：',
    rotated: '旧的签名密钥已立即停用。',
    stop: '停止默认转发',
    stopConfirm: '删除平台默认转发地址？之后没有自己地址的小程序的消息将不再转发（有自己地址的不受影响）。',
  },
  en: {
    title: 'Default forward URL',
    intro: "The messages and events users send a mini-program (those mpfleet does not handle itself) are POSTed as JSON to a forward URL. This is the platform default: it serves every tenant that has no URL of its own.",
    precedence: "Precedence: a tenant's own forward URL wins over this default; set or stop it for one tenant under “Message forwarding” on the tenant's page.",
    headers: 'Headers the receiver gets:',
    idHeader: 'the MsgId of a message (the dedupe key of an event); a retry repeats it, so the receiver handles each id once.',
    signatureHeader: 't is the Unix time in seconds, v1 the hex HMAC-SHA256 of "<t>.<raw body>" keyed with the signing secret. Verify it on the raw body and refuse an old t.',
    sample: 'A sample receiver (signature check, dedupe, quick 2xx) is docs/examples/template-backend.ts in the repository.',
    current: 'Current URL',
    notSet: 'Not set: the messages of tenants without a URL of their own are not forwarded.',
    since: 'since',
    secret: 'Signing secret',
    reveal: 'Reveal secret',
    hide: 'Hide secret',
    url: 'Default forward URL (http or https)',
    rotate: 'New signing secret',
    save: 'Save default URL',
    saving: 'Saving…',
    saved: 'Saved. The receiver checks X-Mpfleet-Signature with this signing secret:',
    rotated: 'The old signing secret stopped working at once.',
    stop: 'Stop forwarding by default',
    stopConfirm: "Delete the platform default forward URL? The messages of tenants without a URL of their own are then not forwarded (tenants with their own URL are unaffected).",
  },
});

/** GET /api/forwarding: the settings, or null when no default is set (404 forwarding_not_set). */
async function loadDefault(): Promise<ForwardingSettings | null> {
  try {
    return await getJson<ForwardingSettings>('/api/forwarding');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.code === 'forwarding_not_set') return null;
    throw e;
  }
}

export function DefaultForwardingCard() {
  const t = useT(messages);
  const [loaded, reload] = useLoad(loadDefault, []);
  // A PUT's answer: its secret is shown at once (the operator just asked for it).
  const [saved, setSaved] = useState<{ settings: ForwardingSettings; rotated: boolean }>();
  const [revealed, setRevealed] = useState(false);
  return (
    <div class="card fwd-card" data-testid="default-forwarding">
      <h2>{t('title')}</h2>
      <p class="muted">{t('intro')}</p>
      <p class="muted">{t('precedence')}</p>
      <Show loaded={loaded}>
        {(value) => (
          <>
            <dl class="facts">
              <dt>{t('current')}</dt>
              <dd data-testid="default-forwarding-url" data-state={value ? 'set' : 'unset'}>
                {value ? (
                  <>
                    <code class="fwd-url">{value.url}</code>{' '}
                    <span class="muted">
                      {t('since')} <Time iso={value.updatedAt} />
                    </span>
                  </>
                ) : (
                  <span class="muted">{t('notSet')}</span>
                )}
              </dd>
              {value && !saved && (
                <>
                  <dt>{t('secret')}</dt>
                  <dd>
                    {revealed && <SecretBox secret={value.signingSecret} testid="default-forwarding-secret" />}
                    <button type="button" data-testid="default-forwarding-reveal" aria-pressed={revealed} onClick={() => setRevealed(!revealed)}>
                      {revealed ? t('hide') : t('reveal')}
                    </button>
                  </dd>
                </>
              )}
            </dl>
            <ForwardUrlForm
              path="/api/forwarding"
              current={value?.url}
              offerRotate={value !== null}
              testid="default-forwarding"
              formTestid
              labels={{ url: t('url'), rotate: t('rotate'), save: t('save'), saving: t('saving'), stop: t('stop'), stopConfirm: t('stopConfirm'), saved: t('saved') }}
              saved={saved?.settings}
              savedNote={saved?.rotated && <div class="muted">{t('rotated')}</div>}
              onSaved={(settings, rotated) => {
                setSaved({ settings, rotated });
                setRevealed(false);
                reload();
              }}
              onStopped={() => {
                setSaved(undefined);
                setRevealed(false);
                reload();
              }}
            />
          </>
        )}
      </Show>
      <div class="muted">{t('headers')}</div>
      <ul class="runtime-endpoints">
        <li>
          <code>X-Mpfleet-Id</code> — {t('idHeader')}
        </li>
        <li>
          <code>{'X-Mpfleet-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">'}</code> — {t('signatureHeader')}
        </li>
      </ul>
      <p class="muted" data-testid="default-forwarding-sample">
        {t('sample')}
      </p>
    </div>
  );
}
