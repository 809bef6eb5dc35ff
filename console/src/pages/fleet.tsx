/**
 * Fleet: every tenant with its status, readiness, online version and last deployment; search by
 * name or appid, filter by status, readiness and version, page by page (the API pages; 10,000
 * tenants are 100 pages of 100); the count of tenants per online version at the top.
 */
import { useState } from 'preact/hooks';
import type { TenantPage, TenantSummary, TenantView } from '../../../shared/contract/operator-api';
import { getJson } from '../api';
import { Badge, Pager, Show, useLoad } from '../components/common';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    title: '小程序',
    search: '搜索名称或 AppID',
    allStatus: '全部状态',
    allReadiness: '全部就绪状态',
    ready: '可发布',
    blocked: '受阻',
    allVersions: '全部线上版本',
    none: '（无）',
    name: '名称',
    status: '状态',
    readiness: '发布就绪',
    version: '线上版本',
    lastDeployment: '最近发布',
    unchecked: '未检查',
    empty: '没有符合条件的小程序。',
    total: '共 {n} 个',
    perVersion: '各线上版本数量',
  },
  en: {
    title: 'Fleet',
    search: 'Search name or appid',
    allStatus: 'All statuses',
    allReadiness: 'Ready or not',
    ready: 'Ready',
    blocked: 'Blocked',
    allVersions: 'All online versions',
    none: '(none)',
    name: 'Name',
    status: 'Status',
    readiness: 'Release readiness',
    version: 'Online version',
    lastDeployment: 'Last deployment',
    unchecked: 'not checked',
    empty: 'No tenant matches.',
    total: '{n} in all',
    perVersion: 'Tenants per online version',
  },
});

const PAGE = 100;

export function FleetPage() {
  const t = useT(messages);
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const [ready, setReady] = useState('');
  const [version, setVersion] = useState('');
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const query = new URLSearchParams({ limit: String(PAGE), ...(q.trim() ? { q: q.trim() } : {}), ...(status ? { status } : {}), ...(ready ? { ready } : {}), ...(version ? { version } : {}), ...(cursor ? { nextToken: cursor } : {}) });
  const [summary] = useLoad(() => getJson<TenantSummary>('/api/tenants/summary'), []);
  const [page] = useLoad(() => getJson<TenantPage>(`/api/tenants?${query.toString()}`), [query.toString()]);
  const filter = (set: (v: string) => void) => (e: Event) => {
    set((e.target as HTMLInputElement | HTMLSelectElement).value);
    setPages([]);
  };

  return (
    <section>
      <h1>{t('title')}</h1>
      <Show loaded={summary}>
        {(s) => (
          <div class="versions" aria-label={t('perVersion')}>
            <span class="muted">{t('total', { n: s.total })}</span>
            {s.byVersion.map((v) => (
              <button type="button" class={`chip ${version === (v.version ?? '-') ? 'on' : ''}`} onClick={() => (setVersion(version === (v.version ?? '-') ? '' : (v.version ?? '-')), setPages([]))}>
                {v.version ?? t('none')} <b>{v.count}</b>
              </button>
            ))}
            <span class="chip">
              <Badge value="ready" label={t('ready')} /> <b>{s.ready}</b>
            </span>
            <span class="chip">
              <Badge value="blocked" label={t('blocked')} /> <b>{s.blocked}</b>
            </span>
          </div>
        )}
      </Show>
      <div class="filters">
        <input type="search" placeholder={t('search')} value={q} onInput={filter(setQ)} aria-label={t('search')} />
        <select value={status} onChange={filter(setStatus)} aria-label={t('status')}>
          <option value="">{t('allStatus')}</option>
          <option value="active">active</option>
          <option value="revoked">revoked</option>
          <option value="needs_reauth">needs_reauth</option>
        </select>
        <select value={ready} onChange={filter(setReady)} aria-label={t('readiness')}>
          <option value="">{t('allReadiness')}</option>
          <option value="true">{t('ready')}</option>
          <option value="false">{t('blocked')}</option>
        </select>
      </div>
      <Show loaded={page}>
        {(p) =>
          p.tenants.length === 0 ? (
            <p class="muted">{t('empty')}</p>
          ) : (
            <>
              <table class="grid">
                <thead>
                  <tr>
                    <th>{t('name')}</th>
                    <th>{t('status')}</th>
                    <th>{t('readiness')}</th>
                    <th>{t('version')}</th>
                    <th>{t('lastDeployment')}</th>
                  </tr>
                </thead>
                <tbody>
                  {p.tenants.map((tenant) => (
                    <TenantRow tenant={tenant} unchecked={t('unchecked')} readyLabel={t('ready')} />
                  ))}
                </tbody>
              </table>
              <Pager pages={pages} nextToken={p.nextToken} setPages={setPages} />
            </>
          )
        }
      </Show>
    </section>
  );
}

function TenantRow({ tenant, unchecked, readyLabel }: { tenant: TenantView; unchecked: string; readyLabel: string }) {
  const blockers = tenant.readiness?.blockers ?? [];
  return (
    <tr data-appid={tenant.appid}>
      <td>
        <a href={`/console/tenants/${tenant.appid}`}>{tenant.nickName ?? tenant.appid}</a>
        <div class="muted mono">{tenant.appid}</div>
      </td>
      <td>
        <Badge value={tenant.status} />
      </td>
      <td>
        {!tenant.readiness ? (
          <span class="muted">{unchecked}</span>
        ) : blockers.length === 0 ? (
          <Badge value="ready" label={readyLabel} />
        ) : (
          <span title={blockers.map((b) => b.message).join('\n')}>
            <Badge value="blocked" label={blockers[0]!.code} />
            {blockers.length > 1 && <span class="muted"> +{blockers.length - 1}</span>}
          </span>
        )}
      </td>
      <td class="mono">
        {tenant.releasedVersion ?? '—'}
        {tenant.gray && (
          <div>
            <Badge value="gray" label={`${tenant.gray.version} · ${tenant.gray.percentage}%`} />
          </div>
        )}
      </td>
      <td class="mono">{tenant.lastDeployment ? <a href={`/console/deployments/${tenant.lastDeployment}`}>{tenant.lastDeployment}</a> : '—'}</td>
    </tr>
  );
}
