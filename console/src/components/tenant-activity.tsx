/**
 * What happened to one tenant: the deployments that included it (with its own target in each) and
 * the pushes WeChat sent about it, newest first.
 */
import { useState } from 'preact/hooks';
import type { PushPage, PushView, TenantDeployments } from '../../../shared/contract/operator-api';
import { ApiError, getJson } from '../api';
import { defineMessages, useLang, useT } from '../i18n';
import { Badge, ErrorBox, Show, useLoad } from './common';
import { formatTime } from './tenant-readiness';

const messages = defineMessages({
  zh: {
    deployments: '包含它的发布',
    noDeployments: '还没有包含这个小程序的发布。',
    id: '发布',
    version: '版本',
    deploymentStatus: '发布状态',
    target: '这个小程序',
    created: '创建时间',
    gray: '灰度 {n}%',
    waitingFor: '等待发布 {id}',
    rollbackTo: '回退到 {v}',
    auditReason: '审核驳回原因',
    pushes: '微信推送记录',
    pushesHint: '微信关于这个小程序的推送（已通过签名与 AppID 校验，敏感字段已隐去），最新的在前。',
    noPushes: '没有记录到推送。',
    type: '类型',
    source: '来源',
    time: '时间',
    fields: '字段',
    more: '更早的推送',
    refresh: '刷新',
  },
  en: {
    deployments: 'Deployments that included it',
    noDeployments: 'No deployment has included this mini-program yet.',
    id: 'Deployment',
    version: 'Version',
    deploymentStatus: 'Deployment status',
    target: 'This mini-program',
    created: 'Created',
    gray: 'gray {n}%',
    waitingFor: 'waiting for {id}',
    rollbackTo: 'rolled back to {v}',
    auditReason: 'Audit rejection reason',
    pushes: 'Pushes from WeChat',
    pushesHint: 'What WeChat pushed about this mini-program (signature and appid checked, secrets redacted), newest first.',
    noPushes: 'No push recorded.',
    type: 'Type',
    source: 'Source',
    time: 'Time',
    fields: 'Fields',
    more: 'Older pushes',
    refresh: 'Refresh',
  },
});

export function TenantDeploymentsCard({ appid }: { appid: string }) {
  const t = useT(messages);
  const lang = useLang();
  const [loaded] = useLoad(() => getJson<TenantDeployments>(`/api/tenants/${appid}/deployments`), [appid]);
  return (
    <div class="card">
      <h2>{t('deployments')}</h2>
      <Show loaded={loaded}>
        {({ deployments }) =>
          deployments.length === 0 ? (
            <p class="muted">{t('noDeployments')}</p>
          ) : (
            <table class="grid" data-testid="tenant-deployments">
              <thead>
                <tr>
                  <th>{t('id')}</th>
                  <th>{t('version')}</th>
                  <th>{t('deploymentStatus')}</th>
                  <th>{t('target')}</th>
                </tr>
              </thead>
              <tbody>
                {deployments.map((d) => (
                  <tr data-deployment={d.id}>
                    <td class="mono">
                      <a href={`/console/deployments/${d.id}`}>{d.id}</a>
                      <div class="muted">{formatTime(d.createdAt, lang)}</div>
                    </td>
                    <td class="mono">{d.userVersion}</td>
                    <td>
                      <Badge value={d.status} />
                    </td>
                    <td>
                      <Badge value={d.target.state} />
                      {d.target.grayPercentage !== undefined && <span class="muted"> {t('gray', { n: d.target.grayPercentage })}</span>}
                      {d.target.waitingFor && <span class="muted"> {t('waitingFor', { id: d.target.waitingFor })}</span>}
                      {d.target.rollbackTo && <span class="muted"> {t('rollbackTo', { v: d.target.rollbackTo })}</span>}
                      {d.target.error && (
                        <div class="target-error">
                          <code>{d.target.error.code}</code> {d.target.error.message}
                        </div>
                      )}
                      {d.target.reason && (
                        <div class="target-error">
                          {t('auditReason')}: {d.target.reason}
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </div>
  );
}

export function TenantPushesCard({ appid }: { appid: string }) {
  const t = useT(messages);
  const lang = useLang();
  const query = (nextToken?: string) => `/api/pushes?${new URLSearchParams({ appid, limit: '20', ...(nextToken ? { nextToken } : {}) }).toString()}`;
  const [first, reload] = useLoad(() => getJson<PushPage>(query()), [appid]);
  const [older, setOlder] = useState<PushView[]>([]);
  const [next, setNext] = useState<string | null>();
  const [error, setError] = useState<ApiError>();
  const cursor = next === undefined ? (first.state === 'ready' ? first.value.nextToken : undefined) : (next ?? undefined);
  const more = async () => {
    if (!cursor) return;
    try {
      const page = await getJson<PushPage>(query(cursor));
      setOlder([...older, ...page.pushes]);
      setNext(page.nextToken ?? null);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    }
  };
  return (
    <div class="card">
      <div class="toolbar">
        <h2>{t('pushes')}</h2>
        <span class="spacer" />
        <button type="button" onClick={() => (setOlder([]), setNext(undefined), reload())}>
          {t('refresh')}
        </button>
      </div>
      <p class="muted">{t('pushesHint')}</p>
      <Show loaded={first}>
        {(page) =>
          page.pushes.length === 0 ? (
            <p class="muted">{t('noPushes')}</p>
          ) : (
            <>
              <table class="grid" data-testid="pushes">
                <thead>
                  <tr>
                    <th>{t('type')}</th>
                    <th>{t('time')}</th>
                    <th>{t('fields')}</th>
                  </tr>
                </thead>
                <tbody>
                  {[...page.pushes, ...older].map((push) => (
                    <tr data-push-type={push.type}>
                      <td>
                        <code>{push.type}</code>
                        <div class="muted">{push.source}</div>
                      </td>
                      <td>{formatTime(push.createdAtMs, lang)}</td>
                      <td class="push-fields">
                        <details>
                          <summary class="mono">{summary(push)}</summary>
                          <pre class="json">{JSON.stringify(push.fields)}</pre>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <ErrorBox error={error} />
              {cursor && (
                <div class="pager">
                  <button type="button" onClick={() => void more()}>
                    {t('more')}
                  </button>
                </div>
              )}
            </>
          )
        }
      </Show>
    </div>
  );
}

/** A push's fields on one line, cut short: the <details> holds them all. */
function summary(push: PushView): string {
  const line = Object.entries(push.fields)
    .filter(([name]) => !['AppId', 'ToUserName', 'FromUserName', 'CreateTime', 'InfoType', 'MsgType', 'Event'].includes(name))
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : '{…}'}`)
    .join(' ');
  return line.length > 80 ? `${line.slice(0, 80)}…` : line || '{…}';
}
