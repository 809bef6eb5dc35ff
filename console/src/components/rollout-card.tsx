/**
 * A staged rollout on the deployment page: one row per wave (what was asked for, its state, its
 * targets per state), how the rollout advances and when it halts, and what it waits for now, in
 * words an operator acts on: the Advance button when the next wave is ready, when the soak ends,
 * how much audit quota the next wave needs, or the numbers that halted it. Waves are numbered
 * from 1 here (the API's `index` is 0-based).
 */
import type { RolloutView, WaveState, WaveView } from '../../../shared/contract/operator-api';
import { Badge } from './common';
import { countsText, DeploymentAction, StateBar, Time } from './deployment-parts';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    title: '分批发布',
    wave: '第 {n} 批',
    pilot: '{n} 个指定的小程序',
    percent: '累计 {p}%',
    percentHint: '其余小程序的累计比例',
    targets: '{n} 个',
    noTargets: '还没有目标',
    needsQuota: '待提审 {n} 个',
    advance: '推进方式',
    manual: '手动：每批稳定后由操作员推进',
    after: '自动：每批稳定 {m} 分钟后推进',
    halt: '暂停条件',
    haltAt: '一批中失败或被拒 ≥ {p}% 时暂停',
    noHalt: '不自动暂停',
    pending: '未开始',
    open: '进行中',
    settled: '已稳定',
    halted: '已暂停',
    ready: '第 {n} 批已就绪：上一批已全部发布或结束。',
    advanceGo: '推进到第 {n} 批',
    soak: '第 {n} 批将于 {time} 自动开始（观察期）。',
    quota: '第 {n} 批在等待审核额度：需要 {needed} 次，微信本月剩余 {left} 次。额度足够时自动开始。',
    haltedAt: '第 {n} 批已暂停：{total} 个中 {bad} 个失败或被拒（{percent}% ≥ {threshold}%）。后续批次不会提交。',
    haltedNumbers: '失败 {failed}，被拒 {rejected}，自 {at}',
    haltedFix: '修复原因后在下方「继续分批发布」（放行这一批并开始下一批），或回退 / 取消。',
    resume: '继续分批发布',
    hintResume: '放行暂停的这一批并开始下一批；被拒的用「重试」重新提审',
    deploying: '第 {n} 批正在发布。',
  },
  en: {
    title: 'Waves',
    wave: 'Wave {n}',
    pilot: '{n} pilot tenants',
    percent: '{p}%',
    percentHint: 'cumulative share of the other tenants',
    targets: '{n} in all',
    noTargets: 'no targets yet',
    needsQuota: '{n} audits to submit',
    advance: 'Advance',
    manual: 'manual: the operator advances once a wave settled',
    after: 'automatic: {m} min after a wave settled',
    halt: 'Halt',
    haltAt: 'when ≥ {p}% of a wave failed or were rejected',
    noHalt: 'never halts by itself',
    pending: 'pending',
    open: 'open',
    settled: 'settled',
    halted: 'halted',
    ready: 'Wave {n} is ready: the wave before it is released or ended.',
    advanceGo: 'Advance to wave {n}',
    soak: 'Wave {n} opens at {time} (soak time).',
    quota: "Wave {n} waits for audit quota: it needs {needed} submissions, WeChat leaves {left} this month. It opens by itself once the quota allows.",
    haltedAt: 'Wave {n} halted: {bad} of {total} failed or rejected ({percent}% ≥ {threshold}%). No later wave is submitted.',
    haltedNumbers: '{failed} failed, {rejected} rejected, since {at}',
    haltedFix: 'Fix the cause, then Resume below (lets this wave pass and opens the next one), or roll back / cancel.',
    resume: 'Resume the rollout',
    hintResume: 'lets the halted wave pass and opens the next; retry resubmits the rejected ones',
    deploying: 'Wave {n} is deploying.',
  },
});

/** A wave state's tone, borrowed from the target states' (common's badge colours). */
const TONE_OF_WAVE: Record<WaveState, string> = { pending: 'queued', open: 'running', settled: 'completed', halted: 'failed' };

export function waveLabel(t: (key: 'wave' | 'pilot' | 'percent', values?: Record<string, string | number>) => string, wave: WaveView): string {
  const what = 'tenants' in wave.spec ? t('pilot', { n: wave.spec.tenants }) : t('percent', { p: wave.spec.percent });
  return `${t('wave', { n: wave.index + 1 })} · ${what}`;
}

export function RolloutCard({ rollout, post, onDone }: { rollout: RolloutView; post: (action: string) => () => Promise<unknown>; onDone: () => void }) {
  const t = useT(messages);
  const wait = rollout.waitingFor;
  const open = rollout.waves[rollout.openWave];
  return (
    <div class="card dep-rollout" data-testid="dep-waves" data-open-wave={rollout.openWave}>
      <h2>{t('title')}</h2>
      <dl class="dep-facts">
        <div>
          <dt>{t('advance')}</dt>
          <dd data-testid="dep-rollout-advance">{rollout.advance === 'manual' ? t('manual') : t('after', { m: rollout.advance.afterMinutes })}</dd>
        </div>
        <div>
          <dt>{t('halt')}</dt>
          <dd data-testid="dep-rollout-halt">{rollout.haltWhen ? t('haltAt', { p: rollout.haltWhen.failedOrRejectedPercent }) : t('noHalt')}</dd>
        </div>
      </dl>
      <table class="grid dep-waves">
        <tbody>
          {rollout.waves.map((wave) => (
            <tr data-testid={`dep-wave-${wave.index}`} data-state={wave.state} class={wave.index === rollout.openWave ? 'dep-wave-open' : ''}>
              <td class="dep-wave-label">
                <b title={'percent' in wave.spec ? t('percentHint') : undefined}>{waveLabel(t, wave)}</b>
              </td>
              <td>
                <Badge value={TONE_OF_WAVE[wave.state] ?? wave.state} label={t(wave.state)} />
              </td>
              <td class="dep-wave-bar">
                {wave.total > 0 ? <StateBar counts={wave.counts} compact /> : <span class="muted">{t('noTargets')}</span>}
                <div class="muted dep-wave-counts">{countsText(wave.counts)}</div>
              </td>
              <td class="muted dep-wave-total">
                {t('targets', { n: wave.total })}
                {wave.state === 'pending' && wave.quotaNeeded > 0 && <div>{t('needsQuota', { n: wave.quotaNeeded })}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {wait?.kind === 'advance' && (
        <div class="info-box dep-rollout-wait" data-testid="dep-rollout-wait" data-kind="advance" data-wave={wait.wave}>
          <span>{t('ready', { n: wait.wave + 1 })}</span>{' '}
          <DeploymentAction testid="dep-action-advance" label={t('advanceGo', { n: wait.wave + 1 })} primary run={post('advance')} onDone={onDone} />
        </div>
      )}
      {wait?.kind === 'soak' && (
        <p class="info-box dep-rollout-wait" data-testid="dep-rollout-wait" data-kind="soak" data-wave={wait.wave}>
          <span>
            {t('soak', { n: wait.wave + 1, time: '\u0000' })
              .split('\u0000')
              .flatMap((part, i) => (i === 0 ? [part] : [<Time iso={wait.until} />, part]))}
          </span>
        </p>
      )}
      {wait?.kind === 'quota' && (
        <p class="dep-warn-box dep-rollout-wait" data-testid="dep-rollout-wait" data-kind="quota" data-wave={wait.wave}>
          {t('quota', { n: wait.wave + 1, needed: wait.needed, left: wait.left })}
        </p>
      )}
      {wait?.kind === 'resume' && (
        <div class="error dep-rollout-wait" data-testid="dep-rollout-wait" data-kind="resume" data-wave={wait.wave}>
          {rollout.halt ? (
            <>
              <b>
                {t('haltedAt', {
                  n: rollout.halt.wave + 1,
                  bad: rollout.halt.failed + rollout.halt.rejected,
                  total: rollout.halt.total,
                  percent: rollout.halt.percent,
                  threshold: rollout.haltWhen?.failedOrRejectedPercent ?? '?',
                })}
              </b>
              <div class="muted">
                {t('haltedNumbers', { failed: rollout.halt.failed, rejected: rollout.halt.rejected, at: '\u0000' })
                  .split('\u0000')
                  .flatMap((part, i) => (i === 0 ? [part] : [<Time iso={rollout.halt!.at} />, part]))}
              </div>
            </>
          ) : (
            <b>{t('halted')}</b>
          )}
          <div>{t('haltedFix')}</div>
        </div>
      )}
      {!wait && open?.state === 'open' && <p class="muted">{t('deploying', { n: open.index + 1 })}</p>}
    </div>
  );
}

/** The Resume button, for the roll back and stop group while the rollout is halted. */
export function ResumeAction({ post, onDone }: { post: (action: string) => () => Promise<unknown>; onDone: () => void }) {
  const t = useT(messages);
  return <DeploymentAction testid="dep-action-resume" label={t('resume')} title={t('hintResume')} primary run={post('resume')} onDone={onDone} />;
}

/** "Wave 2" for a target's 0-based wave. */
export function useWaveName(): (wave: number) => string {
  const t = useT(messages);
  return (wave) => t('wave', { n: wave + 1 });
}
