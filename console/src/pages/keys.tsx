/**
 * Template backend: the two ways a template's backend meets mpfleet, on one page (/console/keys).
 *
 * - Service keys: what the backend shows mpfleet's runtime API (login, access token, WeChat calls
 *   for a tenant). The list (never a secret), a form that creates a key and shows its secret once
 *   (kept in this page's state only: reloading or leaving loses it, by design), and a revoke
 *   button per key (the next request with that secret is refused).
 * - The platform default forward URL, where the messages of tenants without their own URL go
 *   (DefaultForwardingCard).
 */
import { useState } from 'preact/hooks';
import type { CreateServiceKeyRequest, ServiceKeyCreated, ServiceKeyList, ServiceKeyScope, ServiceKeyView } from '../../../shared/contract/operator-api';
import { ApiError, getJson, sendJson } from '../api';
import { ActionButton, ErrorBox, Show, useLoad } from '../components/common';
import { DefaultForwardingCard } from '../components/default-forwarding';
import { Time } from '../components/deployment-parts';
import { SecretBox } from '../components/secret-box';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    title: '模板后端',
    pageIntro: '模板后端（小程序的服务端）与 mpfleet 双向往来：用服务密钥调用 mpfleet 的运行时 API，并在转发地址接收用户发给小程序的消息和事件。',
    keysTitle: '服务密钥',
    intro: '后端用服务密钥调用 mpfleet 的运行时 API，代某个已授权的小程序登录用户、取 access_token 或调用微信接口，无需自己保存任何微信凭据。每个密钥限定可用的小程序和权限范围；密钥只在创建时显示一次，随时可以吊销。',
    endpoints: '运行时 API（请求头 Authorization: Bearer <密钥>）：',
    login: 'code2session：用 wx.login 的 code 换 openid（login 权限）',
    token: '该小程序当前的 access_token（token 权限）',
    proxy: '代为调用允许的微信接口（订阅消息、小程序码、URL Scheme 等），自动带上 access_token（proxy 权限）',
    authority: 'mpfleet 是唯一的令牌管理者：后端不要自己刷新 access_token，否则两边会互相使对方的令牌失效。',
    create: '新建密钥',
    name: '名称',
    namePlaceholder: '例如 shop-backend-prod',
    tenants: '可用的小程序',
    tenantsHint: '填 all 表示全部小程序；或填 AppID，用逗号或空格分隔。',
    scopes: '权限范围',
    creating: '创建中…',
    submit: '创建密钥',
    createdTitle: '密钥“{name}”已创建',
    onceWarning: '这是唯一一次显示这个密钥：请立即复制并妥善保存到模板后端的配置中。离开或刷新本页后将无法再次查看；遗失后只能吊销并新建。',
    dismiss: '我已保存，隐藏密钥',
    list: '已有的密钥',
    empty: '还没有服务密钥。',
    id: 'ID',
    allTenants: '全部小程序',
    created: '创建时间',
    revoke: '吊销',
    revokeConfirm: '吊销后，使用这个密钥的请求会立即被拒绝（401）。确定吊销“{name}”？',
  },
  en: {
    title: 'Template backend',
    pageIntro: "A template's backend (the mini-program's server) meets mpfleet both ways: it calls mpfleet's runtime API with a service key, and receives the messages and events users send the mini-program at a forward URL.",
    keysTitle: 'Service keys',
    intro: "With a service key, the backend calls mpfleet's runtime API for an authorized mini-program: sign users in, get its access_token or call WeChat APIs, without keeping any WeChat credential itself. Each key is limited to some tenants and scopes; its secret is shown once, at creation, and a key can be revoked at any time.",
    endpoints: 'The runtime API (header Authorization: Bearer <secret>):',
    login: "code2session: exchanges wx.login's code for the openid (login scope)",
    token: "the mini-program's current access_token (token scope)",
    proxy: 'calls an allowed WeChat API for it (subscribe messages, mini-program codes, URL schemes …), access_token added (proxy scope)',
    authority: "mpfleet is the one token authority: a backend must not refresh the access_token itself (two refreshers invalidate each other's tokens).",
    create: 'New key',
    name: 'Name',
    namePlaceholder: 'e.g. shop-backend-prod',
    tenants: 'Tenants',
    tenantsHint: 'all for every tenant, or appids separated by commas or spaces.',
    scopes: 'Scopes',
    creating: 'Creating…',
    submit: 'Create key',
    createdTitle: 'Key “{name}” created',
    onceWarning: "This is the only time this secret is shown: copy it now into the template backend's configuration. Leaving or reloading this page loses it for good; a lost secret can only be revoked and replaced.",
    dismiss: "I've saved it: hide the secret",
    list: 'Keys',
    empty: 'No service key yet.',
    id: 'ID',
    allTenants: 'all tenants',
    created: 'Created',
    revoke: 'Revoke',
    revokeConfirm: 'Requests with this key are refused (401) from now on. Revoke “{name}”?',
  },
});

type T = ReturnType<typeof useT<keyof (typeof messages)['zh']>>;

const SCOPES: ServiceKeyScope[] = ['login', 'token', 'proxy'];

/** "all" (or `*`) is every tenant; otherwise appids separated by commas (either width) or whitespace. */
export function parseTenants(text: string): string[] | '*' {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'all' || trimmed === '*') return '*';
  return trimmed.split(/[\s,，、]+/).filter(Boolean);
}

export function KeysPage() {
  const t = useT(messages);
  const [list, reload] = useLoad(() => getJson<ServiceKeyList>('/api/service-keys'), []);
  // The one place the secret lives: this page's state. Never storage, never the URL.
  const [created, setCreated] = useState<ServiceKeyCreated>();
  const origin = window.location.origin;
  return (
    <section class="keys-page">
      <h1>{t('title')}</h1>
      <p class="muted">{t('pageIntro')}</p>
      <h2 id="service-keys">{t('keysTitle')}</h2>
      <p class="muted">{t('intro')}</p>
      <div class="card">
        <div class="muted">{t('endpoints')}</div>
        <ul class="runtime-endpoints">
          <li>
            <code>POST {origin}/runtime/{'{appid}'}/login</code> — {t('login')}
          </li>
          <li>
            <code>GET {origin}/runtime/{'{appid}'}/access-token</code> — {t('token')}
          </li>
          <li>
            <code>POST {origin}/runtime/{'{appid}'}/wechat/{'{path}'}</code> — {t('proxy')}
          </li>
        </ul>
        <p class="muted">{t('authority')}</p>
      </div>
      {created && (
        <div class="card secret-card" data-testid="key-created" data-key-id={created.id}>
          <h2>{t('createdTitle', { name: created.name })}</h2>
          <SecretBox secret={created.secret} testid="key-secret">
            <p class="dep-warn-box" role="alert">
              {t('onceWarning')}
            </p>
          </SecretBox>
          <button type="button" data-testid="key-dismiss" onClick={() => setCreated(undefined)}>
            {t('dismiss')}
          </button>
        </div>
      )}
      <CreateForm
        t={t}
        onCreated={(key) => {
          setCreated(key);
          reload();
        }}
      />
      <h3>{t('list')}</h3>
      <Show loaded={list}>
        {(value) =>
          value.keys.length === 0 ? (
            <p class="muted">{t('empty')}</p>
          ) : (
            <table class="grid" data-testid="keys">
              <thead>
                <tr>
                  <th>{t('name')}</th>
                  <th>{t('id')}</th>
                  <th>{t('tenants')}</th>
                  <th>{t('scopes')}</th>
                  <th>{t('created')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {value.keys.map((key) => (
                  <KeyRow
                    key={key.id}
                    item={key}
                    t={t}
                    onRevoked={() => {
                      if (created?.id === key.id) setCreated(undefined);
                      reload();
                    }}
                  />
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
      <DefaultForwardingCard />
    </section>
  );
}

function KeyRow({ item, t, onRevoked }: { item: ServiceKeyView; t: T; onRevoked: () => void }) {
  return (
    <tr data-key-id={item.id} data-testid={`key-${item.id}`}>
      <td>{item.name}</td>
      <td class="mono">{item.id}</td>
      <td class="keys-tenants">{item.tenants === '*' ? <span class="badge tone-info">{t('allTenants')}</span> : item.tenants.map((appid) => <code class="tag">{appid}</code>)}</td>
      <td>
        {item.scopes.map((scope) => (
          <code class="tag">{scope}</code>
        ))}
      </td>
      <td>
        <Time iso={item.createdAt} />
      </td>
      <td>
        <ActionButton label={t('revoke')} danger testid={`key-revoke-${item.id}`} confirmText={t('revokeConfirm', { name: item.name })} run={() => sendJson('DELETE', `/api/service-keys/${encodeURIComponent(item.id)}`)} onDone={onRevoked} />
      </td>
    </tr>
  );
}

function CreateForm({ t, onCreated }: { t: T; onCreated: (key: ServiceKeyCreated) => void }) {
  const [name, setName] = useState('');
  const [tenants, setTenants] = useState('all');
  const [scopes, setScopes] = useState<ServiceKeyScope[]>(['login', 'token', 'proxy']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body: CreateServiceKeyRequest = { name: name.trim(), tenants: parseTenants(tenants), scopes };
      onCreated(await sendJson<ServiceKeyCreated>('POST', '/api/service-keys', body));
      setName('');
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (scope: ServiceKeyScope) => setScopes(scopes.includes(scope) ? scopes.filter((s) => s !== scope) : SCOPES.filter((s) => s === scope || scopes.includes(s)));
  return (
    <form class="card keys-form" data-testid="key-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('create')}</h2>
      <div class="nd-row">
        <label class="nd-grow">
          {t('name')}
          <input type="text" name="name" data-testid="key-name" placeholder={t('namePlaceholder')} value={name} maxLength={64} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="nd-grow">
          {t('tenants')}
          <input type="text" name="tenants" data-testid="key-tenants" value={tenants} onInput={(e) => setTenants((e.target as HTMLInputElement).value)} aria-describedby="key-tenants-hint" />
          <span class="muted" id="key-tenants-hint">
            {t('tenantsHint')}
          </span>
        </label>
      </div>
      <fieldset class="nd-fieldset">
        <legend>{t('scopes')}</legend>
        <div class="nd-modes">
          {SCOPES.map((scope) => (
            <label class="inline">
              <input type="checkbox" data-testid={`key-scope-${scope}`} checked={scopes.includes(scope)} onChange={() => toggle(scope)} />
              <code>{scope}</code>
            </label>
          ))}
        </div>
      </fieldset>
      <div data-testid="key-error">
        <ErrorBox error={error} />
      </div>
      <button type="submit" class="primary" data-testid="key-create" disabled={busy}>
        {busy ? t('creating') : t('submit')}
      </button>
    </form>
  );
}
