/** Small building blocks every page uses: a loading/error frame, a status badge, a button that confirms. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: { loading: '加载中…', retry: '重试', cancel: '取消', confirm: '确认', first: '第一页', next: '下一页' },
  en: { loading: 'Loading…', retry: 'Retry', cancel: 'Cancel', confirm: 'Confirm', first: 'First page', next: 'Next page' },
});

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ready'; value: T };

/** Loads `load()` when `deps` change; `reload()` loads again (keeping the old value on screen meanwhile). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setLoaded({ state: 'ready', value }),
      (error: unknown) => live && setLoaded({ state: 'error', error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error)) }),
    );
    return () => void (live = false);
  }, [...deps, tick]);
  return [loaded, useCallback(() => setTick((n) => n + 1), [])];
}

/** Runs `poll` every `ms` while the page is open. */
export function usePoll(poll: () => void, ms: number, active = true): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(poll, ms);
    return () => clearInterval(timer);
  }, [poll, ms, active]);
}

export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  const t = useT(messages);
  if (loaded.state === 'loading') return <p class="muted">{t('loading')}</p>;
  if (loaded.state === 'error') return <ErrorBox error={loaded.error} />;
  return <>{children(loaded.value)}</>;
}

export function ErrorBox({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <code>{error.code}</code> {error.message}
    </div>
  );
}

const STATE_TONES: Record<string, string> = {
  active: 'ok',
  ready: 'ok',
  released: 'ok',
  completed: 'ok',
  approved: 'ok',
  gray: 'info',
  auditing: 'info',
  running: 'info',
  preparing: 'info',
  committing: 'info',
  committed: 'info',
  submitting: 'info',
  releasing: 'info',
  withdrawing: 'info',
  reverting_gray: 'info',
  rolling_back: 'info',
  queued: 'muted',
  waiting: 'muted',
  skipped: 'muted',
  cancelled: 'muted',
  rolled_back: 'muted',
  paused: 'warn',
  blocked: 'warn',
  needs_reauth: 'warn',
  failed: 'bad',
  rejected: 'bad',
  revoked: 'bad',
};

/** The tone a status or state is shown in (badges, the deployment bar). */
export const toneOf = (value: string) => STATE_TONES[value] ?? 'muted';

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span class={`badge tone-${toneOf(value)}`}>{label ?? value}</span>;
}

/**
 * Paging through an API list: `pages` are the nextTokens followed so far (the last one is the page
 * shown), so "next" pushes the answer's token and "first" starts over.
 */
export function Pager({ pages, nextToken, setPages }: { pages: string[]; nextToken: string | undefined; setPages: (pages: string[]) => void }) {
  const t = useT(messages);
  return (
    <div class="pager">
      {pages.length > 0 && (
        <button type="button" onClick={() => setPages([])}>
          {t('first')}
        </button>
      )}
      {nextToken && (
        <button type="button" onClick={() => setPages([...pages, nextToken])}>
          {t('next')}
        </button>
      )}
    </div>
  );
}

/** A button for an API action: asks first when `confirmText` is given, shows the API's error when it refuses. */
export function ActionButton(props: { label: string; confirmText?: string; danger?: boolean; testid?: string; run: () => Promise<unknown>; onDone?: () => void }) {
  const t = useT(messages);
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<ApiError>();
  const go = async () => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    try {
      await props.run();
      props.onDone?.();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" class={props.danger ? 'danger' : ''} data-testid={props.testid} disabled={busy} onClick={() => (props.confirmText ? setAsking(true) : void go())}>
        {props.label}
      </button>
      {asking && (
        <span class="confirm" role="dialog">
          {props.confirmText}{' '}
          <button type="button" class="danger" onClick={() => void go()}>
            {t('confirm')}
          </button>{' '}
          <button type="button" onClick={() => setAsking(false)}>
            {t('cancel')}
          </button>
        </span>
      )}
      <ErrorBox error={error} />
    </span>
  );
}
