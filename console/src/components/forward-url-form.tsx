/**
 * The form that sets a forward URL, shared by the platform default card and a tenant's forwarding
 * card: the URL field (showing the current URL until the operator types), a "new signing secret"
 * checkbox, a save button that PUTs {url, rotateSecret?} to `path`, a button that DELETEs it (with
 * a confirm), the save error, and the signing secret of the last save (held by the caller, which
 * also clears it on stop) behind a copy button. Every data-testid is `${testid}-…`.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ForwardingRequest, ForwardingSettings } from '../../../shared/contract/operator-api';
import { ApiError, sendJson } from '../api';
import { ActionButton, ErrorBox } from './common';
import { SecretBox } from './secret-box';

/** The texts of the form, already in the current language (each card keeps its own wording). */
export interface ForwardUrlLabels {
  url: string;
  rotate: string;
  save: string;
  saving: string;
  stop: string;
  stopConfirm: string;
  saved: string;
}

export function ForwardUrlForm(props: {
  /** The forwarding endpoint: PUT sets the URL, DELETE stops it. */
  path: string;
  /** The URL set there now, or undefined: the field's initial value; the stop button shows only when set. */
  current: string | undefined;
  /** Whether the "new signing secret" checkbox shows. */
  offerRotate: boolean;
  /** The data-testid prefix ('forwarding', 'default-forwarding'). */
  testid: string;
  /** Whether the form element itself carries `${testid}-form`. */
  formTestid?: boolean;
  labels: ForwardUrlLabels;
  /** The answer of the last save, shown with its signing secret; the caller keeps and clears it. */
  saved: ForwardingSettings | undefined;
  /** Shown under the saved secret. */
  savedNote?: ComponentChildren;
  onSaved: (settings: ForwardingSettings, rotated: boolean) => void;
  onStopped: () => void;
}) {
  const { path, current, offerRotate, testid, labels, saved, onSaved, onStopped } = props;
  // Until the operator types, the field shows the current URL as the last load read it.
  const [draft, setDraft] = useState<string>();
  const [rotate, setRotate] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const url = draft ?? current ?? '';
  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body: ForwardingRequest = { url: url.trim(), ...(rotate ? { rotateSecret: true } : {}) };
      onSaved(await sendJson<ForwardingSettings>('PUT', path, body), rotate);
      setDraft(undefined);
      setRotate(false);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <form class="fwd-form" data-testid={props.formTestid ? `${testid}-form` : undefined} onSubmit={(e) => void save(e)}>
        <input type="url" data-testid={`${testid}-input`} placeholder="https://backend.example.com/wechat/messages" aria-label={labels.url} title={labels.url} value={url} onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
        {offerRotate && (
          <label class="inline">
            <input type="checkbox" data-testid={`${testid}-rotate`} checked={rotate} onChange={() => setRotate(!rotate)} />
            {labels.rotate}
          </label>
        )}
        <button type="submit" class="primary" data-testid={`${testid}-save`} disabled={busy}>
          {busy ? labels.saving : labels.save}
        </button>
        {current !== undefined && (
          <ActionButton
            label={labels.stop}
            danger
            testid={`${testid}-stop`}
            confirmText={labels.stopConfirm}
            run={() => sendJson('DELETE', path)}
            onDone={() => {
              setDraft(undefined);
              onStopped();
            }}
          />
        )}
      </form>
      <div data-testid={`${testid}-error`}>
        <ErrorBox error={error} />
      </div>
      {saved && (
        <div class="ok-box" data-testid={`${testid}-saved`} role="status">
          <div>{labels.saved}</div>
          <SecretBox secret={saved.signingSecret} testid={`${testid}-secret`} />
          {props.savedNote}
        </div>
      )}
    </>
  );
}
