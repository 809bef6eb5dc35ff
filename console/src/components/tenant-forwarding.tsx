/**
 * A tenant's message forwarding: the URL its users' messages and events go to (its own, or the
 * platform default), the deliveries per status and the latest of them (filtered by status, page
 * by page, polled), a form that sets the tenant's own URL and shows the signing secret the
 * receiver checks X-Mpfleet-Signature with, a button that stops the tenant's own forwarding, and
 * one that queues dead (or stalled) deliveries again.
 */
import { useState } from 'preact/hooks';
import type { DeliveryStatus, DeliveryView, ForwardingSettings, ForwardingStatus, RedriveResult } from '../../../shared/contract/operator-api';
import { getJson, sendJson } from '../api';
import { defineMessages, useT } from '../i18n';
import { ActionButton, Pager, Show, useLoad, usePoll } from './common';
import { Time } from './deployment-parts';
import { ForwardUrlForm } from './forward-url-form';

const messages = defineMessages({
  zh: {
    title: '消息转发',
    hint: '用户发给这个小程序的消息和事件（mpfleet 自己不处理的）会以 JSON POST 到下面的地址，带 X-Mpfleet-Id 和 X-Mpfleet-Signature 头；失败会重试，多次失败后进入死信。',
    inEffect: '生效地址',
    own: '本小程序的地址',
    platform: '平台默认地址',
    notForwarded: '未转发：这个小程序没有自己的地址，也没有平台默认地址。',
    since: '设置于',
    url: '转发地址（http 或 https）',
    rotate: '生成新的签名密钥',
    save: '保存地址',
    saving: '保存中…',
    saved: '已保存。接收方用下面的签名密钥校验 X-Mpfleet-Signature（t=<秒>,v1=<HMAC-SHA256("<t>.<body>")>）：',
    secretNote: '密钥保存在服务端；以后再次保存（不勾选“生成新的签名密钥”）会再次显示同一个密钥。',
    stop: '停止转发',
    stopConfirm: '删除这个小程序自己的转发地址？之后它的消息将改为转发到平台默认地址（如有），否则不再转发。',
    redrive: '重新投递死信',
    redriveConfirm: '把死信（以及停滞的投递）重新排队投递？',
    redriven: '已重新排队 {n} 条。',
    more: '还有更多等待重新投递：请再点一次。',
    stalled: '{n} 条投递已逾期未重试（停滞）。',
    all: '全部',
    pending: '待投递',
    retrying: '重试中',
    delivered: '已送达',
    dead: '死信',
    filter: '按状态筛选',
    empty: '没有投递记录。',
    id: 'ID',
    type: '类型',
    status: '状态',
    attempts: '尝试次数',
    created: '消息时间',
    next: '下次尝试 / 送达时间',
    lastError: '最近错误',
    unreachable: '无法连接',
  },
  en: {
    title: 'Message forwarding',
    hint: "The messages and events this mini-program's users send (those mpfleet does not handle itself) are POSTed as JSON to the URL below, with X-Mpfleet-Id and X-Mpfleet-Signature headers; failures are retried, and a delivery that keeps failing becomes a dead letter.",
    inEffect: 'URL in effect',
    own: "this tenant's own",
    platform: 'platform default',
    notForwarded: 'Not forwarded: this tenant has no URL of its own and there is no platform default.',
    since: 'since',
    url: 'Forward URL (http or https)',
    rotate: 'New signing secret',
    save: 'Save URL',
    saving: 'Saving…',
    saved: 'Saved. The receiver checks X-Mpfleet-Signature (t=<seconds>,v1=<HMAC-SHA256 of "<t>.<body>">) with this signing secret:',
    secretNote: 'The server keeps the secret: saving again (without "New signing secret") shows the same secret again.',
    stop: 'Stop forwarding',
    stopConfirm: "Delete this tenant's own forward URL? Its messages then go to the platform default URL, if there is one, or nowhere.",
    redrive: 'Redrive dead letters',
    redriveConfirm: 'Queue the dead (and stalled) deliveries again?',
    redriven: '{n} queued again.',
    more: 'More are waiting: redrive again.',
    stalled: '{n} deliveries are overdue for their next attempt (stalled).',
    all: 'All',
    pending: 'pending',
    retrying: 'retrying',
    delivered: 'delivered',
    dead: 'dead',
    filter: 'Filter by status',
    empty: 'No delivery.',
    id: 'ID',
    type: 'Type',
    status: 'Status',
    attempts: 'Attempts',
    created: 'Message time',
    next: 'Next attempt / delivered',
    lastError: 'Last error',
    unreachable: 'unreachable',
  },
});

type T = ReturnType<typeof useT<keyof (typeof messages)['zh']>>;

const STATUSES: DeliveryStatus[] = ['pending', 'retrying', 'delivered', 'dead'];
const TONES: Record<DeliveryStatus, string> = { pending: 'muted', retrying: 'warn', delivered: 'ok', dead: 'bad' };
const PAGE = 20;
const POLL_MS = 3000;

export function ForwardingCard({ appid }: { appid: string }) {
  const t = useT(messages);
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const query = new URLSearchParams({ limit: String(PAGE), ...(status ? { status } : {}), ...(cursor ? { nextToken: cursor } : {}) }).toString();
  const [loaded, reload] = useLoad(() => getJson<ForwardingStatus>(`/api/tenants/${encodeURIComponent(appid)}/forwarding?${query}`), [appid, query]);
  usePoll(reload, POLL_MS);
  const [settings, setSettings] = useState<ForwardingSettings>();
  const [redriven, setRedriven] = useState<RedriveResult>();
  const choose = (next: DeliveryStatus | '') => {
    setStatus(next);
    setPages([]);
  };

  return (
    <div class="card fwd-card" data-testid="forwarding">
      <h2>{t('title')}</h2>
      <p class="muted">{t('hint')}</p>
      <Show loaded={loaded}>
        {(value) => {
          // The server counts them (past FORWARD_STALLED_AFTER_SECONDS): a redrive takes them.
          const stalled = value.stalled;
          return (
            <>
              <dl class="facts">
                <dt>{t('inEffect')}</dt>
                <dd data-testid="forwarding-url" data-source={value.forwarding?.source ?? 'none'}>
                  {value.forwarding ? (
                    <>
                      <code class="fwd-url">{value.forwarding.url}</code>{' '}
                      <span class={`badge tone-${value.forwarding.source === 'tenant' ? 'info' : 'muted'}`}>{value.forwarding.source === 'tenant' ? t('own') : t('platform')}</span>{' '}
                      <span class="muted">
                        {t('since')} <Time iso={value.forwarding.updatedAt} />
                      </span>
                    </>
                  ) : (
                    <span class="muted">{t('notForwarded')}</span>
                  )}
                </dd>
              </dl>
              <ForwardUrlForm
                path={`/api/tenants/${encodeURIComponent(appid)}/forwarding`}
                current={value.forwarding?.source === 'tenant' ? value.forwarding.url : undefined}
                offerRotate
                testid="forwarding"
                labels={{ url: t('url'), rotate: t('rotate'), save: t('save'), saving: t('saving'), stop: t('stop'), stopConfirm: t('stopConfirm'), saved: t('saved') }}
                saved={settings}
                savedNote={<div class="muted">{t('secretNote')}</div>}
                onSaved={(answer) => {
                  setSettings(answer);
                  reload();
                }}
                onStopped={() => {
                  setSettings(undefined);
                  reload();
                }}
              />
              <div class="fwd-counts" role="group" aria-label={t('filter')} data-testid="forwarding-counts">
                <button type="button" class={`chip ${status === '' ? 'on' : ''}`} data-testid="forwarding-count-all" aria-pressed={status === ''} onClick={() => choose('')}>
                  {t('all')}
                </button>
                {STATUSES.map((s) => (
                  <button type="button" class={`chip ${status === s ? 'on' : ''}`} data-testid={`forwarding-count-${s}`} data-count={value.counts[s]} aria-pressed={status === s} onClick={() => choose(status === s ? '' : s)}>
                    <span class={`badge tone-${TONES[s]}`}>{t(s)}</span> <b>{value.counts[s]}</b>
                  </button>
                ))}
              </div>
              {stalled > 0 && <div class="dep-warn-box">{t('stalled', { n: stalled })}</div>}
              {(value.counts.dead > 0 || stalled > 0) && (
                <div class="toolbar">
                  <ActionButton
                    label={t('redrive')}
                    testid="forwarding-redrive"
                    confirmText={t('redriveConfirm')}
                    run={async () => setRedriven(await sendJson<RedriveResult>('POST', `/api/tenants/${encodeURIComponent(appid)}/forwarding/redrive`, {}))}
                    onDone={reload}
                  />
                </div>
              )}
              {redriven !== undefined && (
                <div class="info-box" role="status" data-testid="forwarding-redriven">
                  {t('redriven', { n: redriven.redriven })} {redriven.more && t('more')}
                </div>
              )}
              <Deliveries deliveries={value.deliveries} t={t} />
              <Pager pages={pages} nextToken={value.nextToken} setPages={setPages} />
            </>
          );
        }}
      </Show>
    </div>
  );
}

function Deliveries({ deliveries, t }: { deliveries: DeliveryView[]; t: T }) {
  if (deliveries.length === 0) return <p class="muted">{t('empty')}</p>;
  return (
    <table class="grid fwd-deliveries" data-testid="forwarding-deliveries">
      <thead>
        <tr>
          <th>{t('id')}</th>
          <th>{t('type')}</th>
          <th>{t('status')}</th>
          <th>{t('attempts')}</th>
          <th>{t('created')}</th>
          <th>{t('next')}</th>
          <th>{t('lastError')}</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr data-delivery-id={d.id} data-status={d.status}>
            <td class="mono fwd-id">{d.id}</td>
            <td>
              <code>{d.type}</code>
            </td>
            <td>
              <span class={`badge tone-${TONES[d.status] ?? 'muted'}`}>{STATUSES.includes(d.status) ? t(d.status) : d.status}</span>
            </td>
            <td>{d.attempts}</td>
            <td>
              <Time iso={d.createdAt} />
            </td>
            <td>{d.status === 'delivered' ? <Time iso={d.deliveredAt} /> : d.nextAttemptAt ? <Time iso={d.nextAttemptAt} /> : <span class="muted">—</span>}</td>
            <td class="fwd-error">
              {d.lastError ? (
                <>
                  <code>{d.lastError.httpStatus !== undefined ? `HTTP ${d.lastError.httpStatus}` : t('unreachable')}</code> {d.lastError.message}
                </>
              ) : (
                <span class="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
