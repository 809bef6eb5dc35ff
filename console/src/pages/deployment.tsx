/**
 * One deployment, live: its status, version, template and release mode, why it is paused, the
 * operator action being applied, the counts per target state as a bar, and its targets (page by
 * page, filterable by state) with WeChat's error or the audit's reason. Polls every 2 s while the
 * deployment is moving, without reloading the page. The actions are the CLI's: each a POST
 * /api/deployments/{id}/{action} with the body the CLI sends; a refusal (409) shows next to its
 * button; after an action the polling resumes. A staged rollout adds its waves (advance, resume)
 * and a wave column and filter to the targets.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import type { DeploymentView, TargetView } from '../../../shared/contract/operator-api';
import { ApiError, getJson, sendJson } from '../api';
import { Badge, ErrorBox, usePoll } from '../components/common';
import { DeploymentAction, presentStates, StateBar, Time } from '../components/deployment-parts';
import { ResumeAction, RolloutCard, useWaveName } from '../components/rollout-card';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    back: '← 全部发布',
    loading: '加载中…',
    status: '状态',
    version: '版本',
    template: '模板',
    release: '发布方式',
    auto: '审核通过后自动全量发布',
    manual: '手动发布',
    audit: '提交审核',
    yes: '是',
    no: '否（只上传代码）',
    desc: '说明',
    created: '创建',
    updated: '更新',
    swept: '最近巡检',
    notSwept: '尚未巡检',
    gray: '灰度比例',
    paused: '已暂停',
    pausedNumbers: '{code}：待提审 {needed} 个，额度剩余 {left}',
    pending: '正在执行：{action}（自 {since}）',
    pendingExpired: '操作 {action} 未完成（已过期）：可再次发起',
    live: '每 2 秒自动刷新',
    liveSlow: '每 10 秒自动刷新',
    settled: '已停止变化',
    targets: '目标（共 {n} 个）',
    allStates: '全部状态',
    allWaves: '全部批次',
    wave: '批次',
    filterNote: '筛选只作用于当前这一页目标（每页 {n} 个）。',
    appid: 'AppID',
    state: '状态',
    error: '错误',
    reason: '审核意见',
    details: '详情',
    updatedCol: '更新时间',
    noneMatch: '这一页没有该状态的目标。',
    delayed: '审核耗时较长',
    auditId: '审核单 {id}',
    attempts: '尝试 {n} 次',
    waitingFor: '等待发布',
    rollbackTo: '回退到 {v}',
    outcome: '审核结果：{o}',
    screenshot: '截图',
    next: '下一页',
    first: '第一页',
    actions: '操作',
    groupAudit: '审核',
    groupRelease: '发布',
    groupStop: '回退与停止',
    retry: '重试失败的 / 重新提审被拒的',
    feedback: '给审核员的说明（feedback_info，可选）',
    releaseFull: '全量发布',
    grayLabel: '灰度比例 %',
    grayGo: '灰度发布 / 扩大灰度',
    complete: '完成灰度（全量）',
    revertGray: '撤销灰度',
    rollback: '回退版本',
    cancel: '取消发布',
    withdraw: '取消并撤回审核',
    grayInvalid: '灰度比例须为 1 到 100 的整数',
    confirmRevertGray: '撤销灰度：灰度中的小程序回到「审核通过」，所有用户回到上一版本。确定？',
    confirmRollback: '回退：已发布的小程序回到上一个线上版本，灰度中的撤销灰度。确定？',
    confirmCancel: '取消发布：之后不再向微信发起新的提交或发布。确定？',
    confirmWithdraw: '取消并撤回审核中的版本（undocodeaudit：微信每月只允许少量撤回）。确定？',
    hintRetry: 'failed 的目标从失败的步骤继续；rejected 的重新提交审核',
    hintRelease: 'approved 的目标全量上线',
    hintComplete: 'gray 的目标全量上线（不带比例的发布）',
  },
  en: {
    back: '← All deployments',
    loading: 'Loading…',
    status: 'Status',
    version: 'Version',
    template: 'Template',
    release: 'Release',
    auto: 'automatic, fully, once approved',
    manual: 'manual',
    audit: 'Submit for audit',
    yes: 'yes',
    no: 'no (commit only)',
    desc: 'Description',
    created: 'Created',
    updated: 'Updated',
    swept: 'Last swept',
    notSwept: 'not yet',
    gray: 'Gray percentage',
    paused: 'Paused',
    pausedNumbers: '{code}: {needed} still to submit, {left} left in the quota',
    pending: 'Applying: {action} (since {since})',
    pendingExpired: 'The action {action} never finished (expired): issue it again',
    live: 'refreshing every 2 s',
    liveSlow: 'refreshing every 10 s',
    settled: 'settled',
    targets: 'Targets ({n} in all)',
    allStates: 'All states',
    allWaves: 'All waves',
    wave: 'Wave',
    filterNote: 'The filter applies to this page of targets ({n} a page).',
    appid: 'AppID',
    state: 'State',
    error: 'Error',
    reason: 'Audit reason',
    details: 'Details',
    updatedCol: 'Updated',
    noneMatch: 'No target on this page is in that state.',
    delayed: 'audit taking long',
    auditId: 'audit {id}',
    attempts: '{n} attempts',
    waitingFor: 'waiting for',
    rollbackTo: 'rollback to {v}',
    outcome: 'audit outcome: {o}',
    screenshot: 'screenshot',
    next: 'Next page',
    first: 'First page',
    actions: 'Actions',
    groupAudit: 'Audit',
    groupRelease: 'Release',
    groupStop: 'Roll back and stop',
    retry: 'Retry failed / resubmit rejected',
    feedback: "For WeChat's reviewer (feedback_info, optional)",
    releaseFull: 'Release fully',
    grayLabel: 'Gray %',
    grayGo: 'Gray release / widen',
    complete: 'Complete gray (fully online)',
    revertGray: 'Revert gray',
    rollback: 'Roll back',
    cancel: 'Cancel deployment',
    withdraw: 'Cancel and withdraw audits',
    grayInvalid: 'The gray percentage must be a whole number from 1 to 100',
    confirmRevertGray: 'Revert the gray release: gray targets go back to approved, every user gets the previous version. Go on?',
    confirmRollback: 'Roll back: released targets return to their previous online version, gray ones revert their gray release. Go on?',
    confirmCancel: 'Cancel: no new WeChat submission or release starts after this. Go on?',
    confirmWithdraw: 'Cancel and withdraw the audits under review (undocodeaudit: WeChat allows only a few a month). Go on?',
    hintRetry: 'failed targets resume from the failed step; rejected ones are resubmitted',
    hintRelease: 'approved targets go fully online',
    hintComplete: 'gray targets go fully online (a release without a percentage)',
  },
});

/** Targets per page: the API allows up to 1000. */
const PAGE = 200;
const POLL_MS = 2000;
/** While a staged rollout waits for the operator's advance: the halt check may still trip on the settled wave. */
const SLOW_POLL_MS = 10_000;
/** After an action, poll at least this long even when the deployment looked settled. */
const KICK_MS = 10_000;

/** The rejection screenshot (not in TargetView yet: see the API's target view); media ids joined by `|`, or URLs. */
type TargetRow = TargetView & { screenshot?: string | string[] };

export function DeploymentPage() {
  const t = useT(messages);
  const { params } = useRoute();
  const id = params.id ?? '';
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const [view, setView] = useState<DeploymentView>();
  const [error, setError] = useState<ApiError>();
  const [filter, setFilter] = useState('');
  const [waveFilter, setWaveFilter] = useState('');
  const [kickUntil, setKickUntil] = useState(0);
  const seq = useRef(0);

  const load = useCallback(() => {
    const mine = ++seq.current;
    const query = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { nextToken: cursor } : {}) }).toString();
    getJson<DeploymentView>(`/api/deployments/${encodeURIComponent(id)}?${query}`).then(
      (value) => {
        if (mine !== seq.current) return;
        setView(value);
        setError(undefined);
      },
      (e: unknown) => mine === seq.current && setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e))),
    );
  }, [id, cursor]);

  useEffect(() => {
    setView((v) => (v && v.id === id ? v : undefined));
    load();
  }, [load]);

  // A rollout waiting for its soak time or for audit quota moves on by itself: keep watching it.
  const rolloutMoving = view?.rollout?.waitingFor?.kind === 'soak' || view?.rollout?.waitingFor?.kind === 'quota';
  const moving = view === undefined || view.status === 'preparing' || view.status === 'running' || (view.pendingAction !== undefined && !view.pendingAction.expired) || rolloutMoving;
  const gone = error?.status === 404;
  const fast = (moving || Date.now() < kickUntil) && !gone;
  // A wave shown settled and ready to advance can still halt: the rollout's watcher looks at it
  // every few seconds, after the targets settled. Keep an eye on it, slowly.
  const slow = !fast && !gone && view?.rollout?.waitingFor?.kind === 'advance';
  const live = fast || slow;
  usePoll(load, fast ? POLL_MS : SLOW_POLL_MS, live);

  const afterAction = useCallback(() => {
    setKickUntil(Date.now() + KICK_MS);
    load();
  }, [load]);

  if (!view) {
    return (
      <section>
        <a href="/console/deployments">{t('back')}</a>
        {error ? <ErrorBox error={error} /> : <p class="muted">{t('loading')}</p>}
      </section>
    );
  }

  const targets = (view.targets as TargetRow[]).filter((target) => (!filter || target.state === filter) && (!waveFilter || String(target.wave ?? 0) === waveFilter));
  const states = presentStates(view.counts);
  const rollout = view.rollout;
  const post = (action: string, body?: object) => () => sendJson('POST', `/api/deployments/${encodeURIComponent(view.id)}/${action}`, body);

  return (
    <section class="dep">
      <a href="/console/deployments">{t('back')}</a>
      <div class="dep-head">
        <h1 class="mono">{view.id}</h1>
        <span data-testid="dep-status" data-status={view.status}>
          <Badge value={view.status} />
        </span>
        <span class={`muted dep-live${live ? ' on' : ''}`}>{live ? `● ${t(fast ? 'live' : 'liveSlow')}` : t('settled')}</span>
      </div>
      <ErrorBox error={error} />

      <dl class="dep-facts">
        <div>
          <dt>{t('version')}</dt>
          <dd class="mono" data-testid="dep-version">
            {view.userVersion}
          </dd>
        </div>
        <div>
          <dt>{t('template')}</dt>
          <dd class="mono">#{view.templateId}</dd>
        </div>
        <div>
          <dt>{t('release')}</dt>
          <dd data-testid="dep-release-mode" data-mode={view.release}>
            {view.release === 'manual' ? t('manual') : t('auto')}
          </dd>
        </div>
        <div>
          <dt>{t('audit')}</dt>
          <dd>{view.submitAudit ? t('yes') : t('no')}</dd>
        </div>
        {view.grayPercentage !== undefined && (
          <div>
            <dt>{t('gray')}</dt>
            <dd>{view.grayPercentage}%</dd>
          </div>
        )}
        <div>
          <dt>{t('created')}</dt>
          <dd>
            <Time iso={view.createdAt} />
          </dd>
        </div>
        <div>
          <dt>{t('updated')}</dt>
          <dd>
            <Time iso={view.updatedAt} />
          </dd>
        </div>
        <div>
          <dt>{t('swept')}</dt>
          <dd>{view.lastSweptAt ? <Time iso={view.lastSweptAt} /> : <span class="muted">{t('notSwept')}</span>}</dd>
        </div>
        <div class="dep-wide">
          <dt>{t('desc')}</dt>
          <dd>{view.userDesc}</dd>
        </div>
      </dl>

      {(view.pausedReason || view.paused) && (
        <div class="dep-warn-box" data-testid="dep-paused">
          <b>{t('paused')}</b>
          {view.pausedReason && <>: {view.pausedReason}</>}
          {view.paused && <div class="mono">{t('pausedNumbers', { code: view.paused.code, needed: view.paused.needed, left: view.paused.left ?? '?' })}</div>}
        </div>
      )}
      {view.pendingAction && (
        <p class={view.pendingAction.expired ? 'dep-warn' : 'muted'} data-testid="dep-pending">
          {view.pendingAction.expired ? t('pendingExpired', { action: view.pendingAction.action }) : t('pending', { action: view.pendingAction.action, since: new Date(view.pendingAction.since).toLocaleTimeString() })}
        </p>
      )}

      <StateBar counts={view.counts} testid="dep-bar" picked={filter} onPick={setFilter} />

      {rollout && <RolloutCard rollout={rollout} post={post} onDone={afterAction} />}

      <Actions post={post} halted={rollout?.halt !== undefined} onDone={afterAction} />

      <div class="dep-head">
        <h2>{t('targets', { n: view.total })}</h2>
        <select data-testid="dep-filter" value={filter} aria-label={t('state')} onChange={(e) => setFilter((e.target as HTMLSelectElement).value)}>
          <option value="">{t('allStates')}</option>
          {states.map(([state, n]) => (
            <option value={state}>
              {state} ({n})
            </option>
          ))}
          {filter && !states.some(([s]) => s === filter) && <option value={filter}>{filter} (0)</option>}
        </select>
        {rollout && <WaveSelect rollout={rollout} value={waveFilter} onChange={setWaveFilter} label={t('wave')} all={t('allWaves')} />}
      </div>
      {(filter || waveFilter) && (view.nextToken || pages.length > 0) && <p class="muted">{t('filterNote', { n: PAGE })}</p>}
      {targets.length === 0 ? (
        <p class="muted">{t('noneMatch')}</p>
      ) : (
        <table class="grid dep-targets">
          <thead>
            <tr>
              <th>{t('appid')}</th>
              {rollout && <th>{t('wave')}</th>}
              <th>{t('state')}</th>
              <th>{t('error')}</th>
              <th>{t('reason')}</th>
              <th>{t('details')}</th>
              <th>{t('updatedCol')}</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((target) => (
              <TargetTr target={target} staged={rollout !== undefined} />
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        {pages.length > 0 && (
          <button type="button" onClick={() => setPages([])}>
            {t('first')}
          </button>
        )}
        {view.nextToken && (
          <button type="button" onClick={() => setPages([...pages, view.nextToken!])}>
            {t('next')}
          </button>
        )}
      </div>
    </section>
  );
}

function screenshots(value: TargetRow['screenshot']): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : value.split('|')).map((s) => s.trim()).filter(Boolean);
}

/** The waves to filter the targets by: "Wave 1 · 5%" etc. */
function WaveSelect({ rollout, value, onChange, label, all }: { rollout: NonNullable<DeploymentView['rollout']>; value: string; onChange: (wave: string) => void; label: string; all: string }) {
  const waveName = useWaveName();
  return (
    <select data-testid="dep-wave-filter" value={value} aria-label={label} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="">{all}</option>
      {rollout.waves.map((wave) => (
        <option value={String(wave.index)}>
          {waveName(wave.index)} ({wave.total})
        </option>
      ))}
    </select>
  );
}

function TargetTr({ target, staged }: { target: TargetRow; staged: boolean }) {
  const t = useT(messages);
  const waveName = useWaveName();
  const shots = screenshots(target.screenshot);
  return (
    <tr data-testid={`dep-target-${target.appid}`} data-state={target.state} data-wave={staged ? (target.wave ?? 0) : undefined}>
      <td>
        <a class="mono" href={`/console/tenants/${target.appid}`}>
          {target.appid}
        </a>
      </td>
      {staged && <td class="dep-wave-cell">{waveName(target.wave ?? 0)}</td>}
      <td>
        <Badge value={target.state} />
        {target.auditDelayed && <div class="dep-warn">{t('delayed')}</div>}
      </td>
      <td class="dep-error">
        {target.error && (
          <>
            <code>{String(target.error.code)}</code> {target.error.message === target.reason ? '' : target.error.message}
          </>
        )}
      </td>
      <td class="dep-reason">
        {target.reason && <div data-testid={`dep-reason-${target.appid}`}>{target.reason}</div>}
        {shots.length > 0 && (
          <div class="dep-shots">
            {t('screenshot')}:{' '}
            {shots.map((shot) =>
              /^https?:\/\//.test(shot) ? (
                <a href={shot} target="_blank" rel="noreferrer noopener" class="mono">
                  {shot}
                </a>
              ) : (
                <code>{shot}</code>
              ),
            )}
          </div>
        )}
      </td>
      <td class="dep-details muted">
        {target.grayPercentage !== undefined && <div data-testid={`dep-gray-${target.appid}`}>{target.grayPercentage}%</div>}
        {target.waitingFor && (
          <div>
            {t('waitingFor')}{' '}
            <a class="mono" href={`/console/deployments/${target.waitingFor}`}>
              {target.waitingFor}
            </a>
          </div>
        )}
        {target.rollbackTo && <div>{t('rollbackTo', { v: target.rollbackTo })}</div>}
        {target.auditOutcome && <div>{t('outcome', { o: target.auditOutcome })}</div>}
        {target.auditId !== undefined && <div class="mono">{t('auditId', { id: target.auditId })}</div>}
        {target.attempts > 1 && <div>{t('attempts', { n: target.attempts })}</div>}
      </td>
      <td class="muted">
        <Time iso={target.updatedAt} />
      </td>
    </tr>
  );
}

/**
 * The operator actions, grouped: audit (retry / resubmit), release (full, gray, complete, revert),
 * roll back and stop (with Resume first while a staged rollout is halted).
 */
function Actions({ post, halted, onDone }: { post: (action: string, body?: object) => () => Promise<unknown>; halted: boolean; onDone: () => void }) {
  const t = useT(messages);
  const [feedback, setFeedback] = useState('');
  const [gray, setGray] = useState('10');
  const grayNumber = Number(gray);
  const grayValid = /^\d+$/.test(gray.trim()) && grayNumber >= 1 && grayNumber <= 100;

  return (
    <div class="dep-actions">
      <div class="dep-group">
        <h3>{t('groupAudit')}</h3>
        <label>
          {t('feedback')}
          <input data-testid="dep-feedback" value={feedback} maxLength={1000} onInput={(e) => setFeedback((e.target as HTMLInputElement).value)} />
        </label>
        <DeploymentAction testid="dep-action-retry" label={t('retry')} title={t('hintRetry')} run={post('retry', feedback.trim() ? { feedbackInfo: feedback.trim() } : undefined)} onDone={onDone} />
      </div>
      <div class="dep-group">
        <h3>{t('groupRelease')}</h3>
        <DeploymentAction testid="dep-action-release" label={t('releaseFull')} title={t('hintRelease')} primary run={post('release')} onDone={onDone} />
        <div class="dep-gray-row">
          <label class="inline">
            {t('grayLabel')}
            <input data-testid="dep-gray" type="number" min={1} max={100} step={1} value={gray} onInput={(e) => setGray((e.target as HTMLInputElement).value)} />
          </label>
          <DeploymentAction
            testid="dep-action-gray"
            label={t('grayGo')}
            run={() => (grayValid ? post('release', { grayPercentage: grayNumber })() : Promise.reject(new ApiError(400, 'invalid_percentage', t('grayInvalid'))))}
            onDone={onDone}
          />
        </div>
        <DeploymentAction testid="dep-action-complete" label={t('complete')} title={t('hintComplete')} run={post('release')} onDone={onDone} />
        <DeploymentAction testid="dep-action-revert-gray" label={t('revertGray')} danger confirmText={t('confirmRevertGray')} run={post('revert-gray')} onDone={onDone} />
      </div>
      <div class="dep-group">
        <h3>{t('groupStop')}</h3>
        {halted && <ResumeAction post={post} onDone={onDone} />}
        <DeploymentAction testid="dep-action-rollback" label={t('rollback')} danger confirmText={t('confirmRollback')} run={post('rollback')} onDone={onDone} />
        <DeploymentAction testid="dep-action-cancel" label={t('cancel')} danger confirmText={t('confirmCancel')} run={post('cancel')} onDone={onDone} />
        <DeploymentAction testid="dep-action-withdraw" label={t('withdraw')} danger confirmText={t('confirmWithdraw')} run={post('cancel', { withdrawAudits: true })} onDone={onDone} />
      </div>
    </div>
  );
}
