/**
 * Pieces the deployment pages share: the counts per target state as one horizontal bar with its
 * legend, a time in the operator's language, and an action button for a deployment (asks first
 * when destructive, shows the API's refusal next to it, carries a test id on the button itself).
 */
import { useEffect, useState } from 'preact/hooks';
import type { TargetCounts } from '../../../shared/contract/operator-api';
import { ApiError } from '../api';
import { TARGET_STATES } from '../../../shared/deployments/target-machine';
import { ErrorBox, toneOf } from './common';
import { defineMessages, useLang, useT, type Lang } from '../i18n';

const messages = defineMessages({
  zh: { none: '还没有目标', confirm: '确认', back: '返回', sent: '已提交' },
  en: { none: 'No targets yet', confirm: 'Confirm', back: 'Back', sent: 'Requested' },
});

/** The target states in lifecycle order: the server's own list; a state the console does not know yet goes last. */
const STATE_ORDER: readonly string[] = TARGET_STATES;

/** The states present in `counts`, in lifecycle order, with their numbers. */
export function presentStates(counts: TargetCounts): [string, number][] {
  const entries = Object.entries(counts as Record<string, number | undefined>).filter((e): e is [string, number] => (e[1] ?? 0) > 0);
  const rank = (s: string) => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : STATE_ORDER.length);
  return entries.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

/**
 * The counts as one bar, each state's span as wide as its share, and the legend under it.
 * `onPick`: a legend entry filters by its state (`picked` is the one chosen).
 */
export function StateBar(props: { counts: TargetCounts; testid?: string; compact?: boolean; picked?: string; onPick?: (state: string) => void }) {
  const t = useT(messages);
  const states = presentStates(props.counts);
  const total = states.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return <p class="muted">{t('none')}</p>;
  return (
    <div class={`dep-bar-box${props.compact ? ' compact' : ''}`}>
      <div class="bar" data-testid={props.testid} role="img" aria-label={states.map(([s, n]) => `${s} ${n}`).join(', ')}>
        {states.map(([state, n]) => (
          <span class={`tone-${toneOf(state)}`} data-state={state} data-count={n} style={{ width: `${(n / total) * 100}%` }} title={`${state}: ${n}`} />
        ))}
      </div>
      {!props.compact && (
        <div class="legend">
          {states.map(([state, n]) =>
            props.onPick ? (
              <button type="button" class={`chip ${props.picked === state ? 'on' : ''}`} onClick={() => props.onPick!(props.picked === state ? '' : state)}>
                <i class={`dot tone-${toneOf(state)}`} /> {state} <b>{n}</b>
              </button>
            ) : (
              <span>
                <i class={`dot tone-${toneOf(state)}`} /> {state} <b>{n}</b>
              </span>
            ),
          )}
        </div>
      )}
    </div>
  );
}

/** `released 3 · failed 1`: the counts as words, lifecycle order. */
export function countsText(counts: TargetCounts): string {
  return presentStates(counts)
    .map(([s, n]) => `${s} ${n}`)
    .join(' · ');
}

export function formatTime(iso: string | undefined, lang: Lang): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function Time({ iso }: { iso: string | undefined }) {
  const lang = useLang();
  return <time dateTime={iso}>{formatTime(iso, lang)}</time>;
}

/**
 * A deployment action: like common's ActionButton (the same look), with its test id on the button
 * and on the confirmation, the API's refusal (a 409's message) next to it, and a short
 * "requested" note once the API accepted it.
 */
export function DeploymentAction(props: { testid: string; label: string; title?: string; confirmText?: string; danger?: boolean; primary?: boolean; disabled?: boolean; run: () => Promise<unknown>; onDone?: () => void }) {
  const t = useT(messages);
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [sent, setSent] = useState(false);
  // The note fades: the live counts tell what the action did.
  useEffect(() => {
    if (!sent) return;
    const timer = setTimeout(() => setSent(false), 5000);
    return () => clearTimeout(timer);
  }, [sent]);
  const go = async () => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    setSent(false);
    try {
      await props.run();
      setSent(true);
      props.onDone?.();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  const cls = props.danger ? 'danger' : props.primary ? 'primary' : '';
  return (
    <span class="action">
      <button type="button" class={cls} data-testid={props.testid} title={props.title} disabled={busy || props.disabled} onClick={() => (props.confirmText ? setAsking(true) : void go())}>
        {props.label}
      </button>
      {asking && (
        <span class="confirm" role="dialog">
          {props.confirmText}{' '}
          <button type="button" class="danger" data-testid={`${props.testid}-confirm`} onClick={() => void go()}>
            {t('confirm')}
          </button>{' '}
          <button type="button" data-testid={`${props.testid}-back`} onClick={() => setAsking(false)}>
            {t('back')}
          </button>
        </span>
      )}
      {sent && !error && <span class="muted dep-sent">✓ {t('sent')}</span>}
      <span data-testid={`${props.testid}-error`}>
        <ErrorBox error={error} />
      </span>
    </span>
  );
}
