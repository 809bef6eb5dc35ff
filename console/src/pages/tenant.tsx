/**
 * One tenant: its profile, its release readiness (checked again on demand), its configuration
 * (the ext_json fragment, edited and validated by the API), the ext_json a deploy of a chosen
 * template would commit, the experience version's QR code, the pushes WeChat sent about it and
 * the deployments that included it, and where its users' messages are forwarded (with the deliveries);
 * its name, avatar, introduction and service categories at WeChat, changed from here (BasicInfoCard).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import type { TemplateList, TenantView } from '../../../shared/contract/operator-api';
import { ApiError, getImageUrl, getJson, sendJson } from '../api';
import { Badge, ErrorBox, Show, useLoad } from '../components/common';
import { TenantDeploymentsCard, TenantPushesCard } from '../components/tenant-activity';
import { BasicInfoCard } from '../components/tenant-basic-info';
import { ForwardingCard } from '../components/tenant-forwarding';
import { JsonEditor, pretty } from '../components/tenant-json-editor';
import { formatTime, ReadinessCard } from '../components/tenant-readiness';
import { defineMessages, useLang, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    back: '← 全部小程序',
    profile: '基本资料',
    appid: 'AppID',
    userName: '原始 ID',
    principal: '主体',
    status: '状态',
    permissions: '已授权的权限集',
    categories: '服务类目',
    authorizedAt: '授权时间',
    updatedAt: '更新时间',
    released: '线上版本（mpfleet 发布）',
    lastDeployment: '最近发布',
    none: '—',
    config: '配置（ext_json 片段）',
    configHint: '这个小程序自己的 ext_json 片段（ext、extPages、window、tabBar、networkTimeout、requiredPrivateInfos …），发布时与模板合并。保存前由服务端校验。',
    configLabel: '配置 JSON',
    extJson: '发布将提交的 ext_json',
    extJsonHint: '按所选模板，发布时 wxa/commit 会收到的 ext_json（只读预览）。',
    template: '模板',
    noTemplates: '模板库是空的：先在“模板”页把草稿加入模板库。',
    normal: '普通模板',
    standard: '标准模板',
    qrcode: '体验版二维码',
    qrcodeHint: '体验版的二维码，由微信生成。可填页面路径（可选）。',
    path: '页面路径（可选）',
    showQr: '获取二维码',
    loadingQr: '获取中…',
    qrAlt: '体验版二维码',
  },
  en: {
    back: '← All tenants',
    profile: 'Profile',
    appid: 'AppID',
    userName: 'Original ID',
    principal: 'Principal',
    status: 'Status',
    permissions: 'Permission sets granted',
    categories: 'Service categories',
    authorizedAt: 'Authorized',
    updatedAt: 'Updated',
    released: 'Online version (released by mpfleet)',
    lastDeployment: 'Last deployment',
    none: '—',
    config: 'Configuration (ext_json fragment)',
    configHint: "This mini-program's own ext_json fragment (ext, extPages, window, tabBar, networkTimeout, requiredPrivateInfos …), merged with the template at deploy. The API validates it before storing.",
    configLabel: 'Configuration JSON',
    extJson: 'ext_json a deploy would commit',
    extJsonHint: 'For the chosen template, exactly the ext_json wxa/commit would receive (a read-only preview).',
    template: 'Template',
    noTemplates: 'The template library is empty: add a draft on the Templates page first.',
    normal: 'normal',
    standard: 'standard',
    qrcode: 'Experience QR code',
    qrcodeHint: "The experience version's QR code, made by WeChat. A page path is optional.",
    path: 'Page path (optional)',
    showQr: 'Get the QR code',
    loadingQr: 'Loading…',
    qrAlt: 'Experience version QR code',
  },
});

type T = ReturnType<typeof useT<keyof (typeof messages)['zh']>>;

export function TenantPage() {
  const { params } = useRoute();
  const appid = params.appid ?? '';
  // A new appid is a new page: nothing of the previous tenant's state is kept.
  return <TenantScreen key={appid} appid={appid} />;
}

function TenantScreen({ appid }: { appid: string }) {
  const t = useT(messages);
  const [loaded, reload] = useLoad(() => getJson<TenantView>(`/api/tenants/${encodeURIComponent(appid)}`), [appid]);
  const [checked, setChecked] = useState<TenantView>();
  const [configVersion, setConfigVersion] = useState(0);
  // The name, avatar or readiness changed at WeChat (or may have: a review ended): read the tenant again.
  const reloadTenant = useCallback(() => {
    setChecked(undefined);
    reload();
  }, [reload]);
  return (
    <section class="tenant-page">
      <p>
        <a href="/console/">{t('back')}</a>
      </p>
      <Show loaded={loaded}>
        {(initial) => {
          const tenant = checked ?? initial;
          return (
            <>
              <Header tenant={tenant} />
              <div class="cards">
                <ProfileCard tenant={tenant} t={t} />
                <ReadinessCard tenant={tenant} onChecked={setChecked} justChecked={checked !== undefined} />
              </div>
              <BasicInfoCard tenant={tenant} onChanged={reloadTenant} />
              <div class="cards">
                <ConfigCard appid={appid} t={t} onSaved={() => setConfigVersion((n) => n + 1)} />
                <ExtJsonCard appid={appid} t={t} configVersion={configVersion} />
              </div>
              <div class="cards">
                <QrCard appid={appid} t={t} />
                <TenantDeploymentsCard appid={appid} />
              </div>
              <ForwardingCard appid={appid} />
              <TenantPushesCard appid={appid} />
            </>
          );
        }}
      </Show>
    </section>
  );
}

function Header({ tenant }: { tenant: TenantView }) {
  // WeChat's avatar URLs may not load (offline, or refused): the name's first letter stands in.
  const [broken, setBroken] = useState(false);
  return (
    <div class="tenant-head">
      {tenant.headImg && !broken ? (
        <img class="avatar" data-testid="avatar" src={tenant.headImg} alt="" width={56} height={56} referrerpolicy="no-referrer" onError={() => setBroken(true)} />
      ) : (
        <span class="avatar avatar-letter" aria-hidden="true">
          {(tenant.nickName ?? tenant.appid).slice(0, 1)}
        </span>
      )}
      <div>
        <h1>{tenant.nickName ?? tenant.appid}</h1>
        <div>
          <span class="mono">{tenant.appid}</span> <Badge value={tenant.status} />
          {tenant.statusReason && <span class="muted"> {tenant.statusReason}</span>}
        </div>
      </div>
    </div>
  );
}

function ProfileCard({ tenant, t }: { tenant: TenantView; t: T }) {
  const lang = useLang();
  return (
    <div class="card">
      <h2>{t('profile')}</h2>
      <dl class="facts">
        <dt>{t('appid')}</dt>
        <dd class="mono">{tenant.appid}</dd>
        <dt>{t('userName')}</dt>
        <dd class="mono">{tenant.userName ?? t('none')}</dd>
        <dt>{t('principal')}</dt>
        <dd>{tenant.principalName ?? t('none')}</dd>
        <dt>{t('status')}</dt>
        <dd>
          <Badge value={tenant.status} />
          {tenant.statusReason && <div class="muted">{tenant.statusReason}</div>}
        </dd>
        <dt>{t('permissions')}</dt>
        <dd>{tenant.permissions.length ? tenant.permissions.map((p) => <code class="tag">{p}</code>) : t('none')}</dd>
        <dt>{t('categories')}</dt>
        <dd>{tenant.categories.length ? tenant.categories.map((c) => <div>{`${c.first} / ${c.second}`}</div>) : t('none')}</dd>
        <dt>{t('authorizedAt')}</dt>
        <dd>{formatTime(tenant.authorizedAt, lang)}</dd>
        <dt>{t('updatedAt')}</dt>
        <dd>{formatTime(tenant.updatedAt, lang)}</dd>
        <dt>{t('released')}</dt>
        <dd class="mono">{tenant.releasedVersion ?? t('none')}</dd>
        <dt>{t('lastDeployment')}</dt>
        <dd class="mono">{tenant.lastDeployment ? <a href={`/console/deployments/${tenant.lastDeployment}`}>{tenant.lastDeployment}</a> : t('none')}</dd>
      </dl>
    </div>
  );
}

function ConfigCard({ appid, t, onSaved }: { appid: string; t: T; onSaved: () => void }) {
  const [config] = useLoad(() => getJson<Record<string, unknown>>(`/api/tenants/${appid}/config`), [appid]);
  return (
    <div class="card">
      <h2>{t('config')}</h2>
      <p class="muted">{t('configHint')}</p>
      <Show loaded={config}>
        {(value) => (
          <JsonEditor
            testids={{ editor: 'config-editor', save: 'config-save', error: 'config-error', saved: 'config-saved' }}
            label={t('configLabel')}
            initial={pretty(value)}
            save={(body) => sendJson<Record<string, unknown>>('PUT', `/api/tenants/${appid}/config`, body)}
            onSaved={onSaved}
          />
        )}
      </Show>
    </div>
  );
}

interface ExtJsonPreview {
  templateId: number;
  templateType: 0 | 1;
  extJson: string;
  value: Record<string, unknown>;
}

function ExtJsonCard({ appid, t, configVersion }: { appid: string; t: T; configVersion: number }) {
  const [templates] = useLoad(() => getJson<TemplateList>('/api/templates'), []);
  const [chosen, setChosen] = useState<number>();
  const list = templates.state === 'ready' ? templates.value.templates : [];
  const templateId = chosen ?? list[0]?.templateId;
  const [preview] = useLoad(
    () => (templateId === undefined ? Promise.resolve(undefined) : getJson<ExtJsonPreview>(`/api/tenants/${appid}/ext-json?templateId=${templateId}`)),
    [appid, templateId, configVersion],
  );
  return (
    <div class="card">
      <h2>{t('extJson')}</h2>
      <p class="muted">{t('extJsonHint')}</p>
      <Show loaded={templates}>
        {(value) =>
          value.templates.length === 0 ? (
            <p class="muted">{t('noTemplates')}</p>
          ) : (
            <>
              <label class="inline">
                {t('template')}
                <select data-testid="ext-json-template" value={String(templateId)} onChange={(e) => setChosen(Number((e.target as HTMLSelectElement).value))}>
                  {value.templates.map((tpl) => (
                    <option value={String(tpl.templateId)}>
                      #{tpl.templateId} {tpl.userVersion} · {tpl.userDesc} ({tpl.templateType === 1 ? t('standard') : t('normal')})
                    </option>
                  ))}
                </select>
              </label>
              <Show loaded={preview}>{(p) => p && <pre class="json" data-testid="ext-json">{pretty(p.value)}</pre>}</Show>
            </>
          )
        }
      </Show>
    </div>
  );
}

function QrCard({ appid, t }: { appid: string; t: T }) {
  const [path, setPath] = useState('');
  const [url, setUrl] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  // The image lives as an object URL: let it go when replaced or when the page closes.
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const load = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const query = path.trim() ? `?path=${encodeURIComponent(path.trim())}` : '';
      setUrl(await getImageUrl(`/api/tenants/${appid}/qrcode${query}`));
    } catch (e) {
      setUrl(undefined);
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card">
      <h2>{t('qrcode')}</h2>
      <p class="muted">{t('qrcodeHint')}</p>
      <div class="toolbar">
        <input type="text" placeholder="pages/index/index" aria-label={t('path')} title={t('path')} value={path} onInput={(e) => setPath((e.target as HTMLInputElement).value)} />
        <button type="button" data-testid="qrcode-load" disabled={busy} onClick={() => void load()}>
          {busy ? t('loadingQr') : t('showQr')}
        </button>
      </div>
      <ErrorBox error={error} />
      {url && (
        <div class="qr">
          <img data-testid="qrcode" src={url} alt={t('qrAlt')} />
        </div>
      )}
    </div>
  );
}
