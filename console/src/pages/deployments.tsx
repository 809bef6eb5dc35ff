/**
 * Deployments: the newest first, 20 a page (the API pages with nextToken), each with its status,
 * version, description, its targets per state (a small bar and the numbers) and when it was
 * created; refreshed every few seconds while one on the page is still moving.
 */
import { useState } from 'preact/hooks';
import type { DeploymentPage, DeploymentSummary } from '../../../shared/contract/operator-api';
import { getJson } from '../api';
import { Badge, Pager, Show, useLoad, usePoll } from '../components/common';
import { countsText, StateBar, Time } from '../components/deployment-parts';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    title: '发布',
    new: '＋ 新建发布',
    id: '发布 ID',
    status: '状态',
    version: '版本',
    template: '模板 {id}',
    desc: '说明',
    targets: '目标（按状态）',
    created: '创建时间',
    empty: '还没有发布。',
    manual: '手动发布',
    noAudit: '不提审',
  },
  en: {
    title: 'Deployments',
    new: '+ New deployment',
    id: 'Deployment',
    status: 'Status',
    version: 'Version',
    template: 'template {id}',
    desc: 'Description',
    targets: 'Targets by state',
    created: 'Created',
    empty: 'No deployment yet.',
    manual: 'manual release',
    noAudit: 'no audit',
  },
});

const PAGE = 20;
const MOVING = new Set(['preparing', 'running']);

export function DeploymentsPage() {
  const t = useT(messages);
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const query = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { nextToken: cursor } : {}) }).toString();
  const [page, reload] = useLoad(() => getJson<DeploymentPage>(`/api/deployments?${query}`), [query]);
  const moving = page.state === 'ready' && page.value.deployments.some((d) => MOVING.has(d.status) || (d.pendingAction && !d.pendingAction.expired));
  usePoll(reload, 3000, moving);

  return (
    <section>
      <div class="dep-head">
        <h1>{t('title')}</h1>
        <a class="dep-button primary" href="/console/deployments/new" data-testid="deployments-new">
          {t('new')}
        </a>
      </div>
      <Show loaded={page}>
        {(p) =>
          p.deployments.length === 0 && pages.length === 0 ? (
            <p class="muted">{t('empty')}</p>
          ) : (
            <>
              <table class="grid dep-list">
                <thead>
                  <tr>
                    <th>{t('id')}</th>
                    <th>{t('status')}</th>
                    <th>{t('version')}</th>
                    <th>{t('desc')}</th>
                    <th>{t('targets')}</th>
                    <th>{t('created')}</th>
                  </tr>
                </thead>
                <tbody>
                  {p.deployments.map((d) => (
                    <Row d={d} t={t} />
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

type Translate = (key: keyof (typeof messages)['en'], values?: Record<string, string | number>) => string;

function Row({ d, t }: { d: DeploymentSummary; t: Translate }) {
  return (
    <tr data-testid={`deployment-${d.id}`} data-status={d.status}>
      <td class="mono dep-id">
        <a href={`/console/deployments/${d.id}`}>{d.id}</a>
      </td>
      <td>
        <Badge value={d.status} />
        {d.pendingAction && !d.pendingAction.expired && <div class="muted">{d.pendingAction.action}…</div>}
      </td>
      <td>
        <span class="mono dep-version">{d.userVersion}</span>
        <div class="muted">
          {t('template', { id: d.templateId })}
          {d.release === 'manual' ? ` · ${t('manual')}` : ''}
          {d.submitAudit ? '' : ` · ${t('noAudit')}`}
        </div>
      </td>
      <td class="dep-desc">{d.userDesc}</td>
      <td class="dep-counts">
        <StateBar counts={d.counts} compact />
        <span class="muted">
          {countsText(d.counts)} {d.total > 0 && <>(Σ {d.total})</>}
        </span>
      </td>
      <td>
        <Time iso={d.createdAt} />
      </td>
    </tr>
  );
}
