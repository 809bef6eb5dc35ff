/**
 * A JSON document editor with a save button: the tenant's configuration and a template's release
 * profile both use it. Malformed JSON (or anything but an object) is caught here, before a request;
 * the API's refusal `<path>: <why>` is shown right under the editor with the field highlighted.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { defineMessages, useLang, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    save: '保存',
    saving: '保存中…',
    format: '格式化',
    notJson: 'JSON 格式错误，未发送：{why}',
    notObject: '必须是一个 JSON 对象（{ … }），未发送。',
    field: '字段',
    saved: '已保存（{time}）。',
    unsaved: '有未保存的修改',
  },
  en: {
    save: 'Save',
    saving: 'Saving…',
    format: 'Format',
    notJson: 'Not valid JSON, nothing was sent: {why}',
    notObject: 'Must be a JSON object ({ … }); nothing was sent.',
    field: 'Field',
    saved: 'Saved ({time}).',
    unsaved: 'Unsaved changes',
  },
});

/** The API's validation message `<path>: <why>`, split where the part before ': ' looks like a field path. */
export function fieldOf(message: string): { field?: string; why: string } {
  const at = message.indexOf(': ');
  if (at <= 0) return { why: message };
  const field = message.slice(0, at);
  return /^[\w.[\]$-]+$/.test(field) ? { field, why: message.slice(at + 2) } : { why: message };
}

/**
 * Where the field a path names is written in the text: the last named segment's key (a list index
 * points at its list's key), looked up after the keys of the segments before it; undefined when not found.
 */
export function fieldPosition(text: string, field: string): { start: number; end: number } | undefined {
  const names = field.split('.').filter((segment) => segment !== '' && !/^\d+$/.test(segment));
  let from = 0;
  let found: { start: number; end: number } | undefined;
  for (const name of names) {
    const key = JSON.stringify(name);
    const at = text.indexOf(key, from);
    if (at === -1) break;
    found = { start: at, end: at + key.length };
    from = found.end;
  }
  return found;
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

type Problem = { kind: 'local'; text: string } | { kind: 'api'; error: ApiError };

export function JsonEditor(props: {
  /** data-testids of the textarea, its save button, the error under it and the saved message. */
  testids: { editor: string; save: string; error: string; saved: string };
  label: string;
  initial: string;
  rows?: number;
  /** Sends the parsed object; resolves to what was stored (shown formatted in the editor). */
  save: (value: Record<string, unknown>) => Promise<unknown>;
  onSaved?: (stored: unknown) => void;
}) {
  const t = useT(messages);
  const lang = useLang();
  const [text, setText] = useState(props.initial);
  const [savedText, setSavedText] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [savedAt, setSavedAt] = useState<string>();
  const area = useRef<HTMLTextAreaElement>(null);

  const parse = (): Record<string, unknown> | undefined => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      setProblem({ kind: 'local', text: t('notJson', { why: (error as Error).message }) });
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      setProblem({ kind: 'local', text: t('notObject') });
      return undefined;
    }
    return value as Record<string, unknown>;
  };

  const save = async () => {
    setSavedAt(undefined);
    const value = parse();
    if (!value) return;
    setProblem(undefined);
    setBusy(true);
    try {
      const stored = await props.save(value);
      const shown = pretty(stored ?? value);
      setText(shown);
      setSavedText(shown);
      setSavedAt(new Date().toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }));
      props.onSaved?.(stored);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(0, 'error', String(error));
      setProblem({ kind: 'api', error: apiError });
      // Put the cursor on the field the API named, so the operator lands where to fix it.
      const { field } = fieldOf(apiError.message);
      const at = field === undefined ? undefined : fieldPosition(text, field);
      if (at && area.current) {
        area.current.focus();
        area.current.setSelectionRange(at.start, at.end);
      }
    } finally {
      setBusy(false);
    }
  };

  const format = () => {
    const value = parse();
    if (!value) return;
    setProblem(undefined);
    setText(pretty(value));
  };

  const lines = text.split('\n').length;
  return (
    <div class="json-editor">
      <textarea
        ref={area}
        data-testid={props.testids.editor}
        aria-label={props.label}
        aria-invalid={problem ? 'true' : 'false'}
        spellcheck={false}
        rows={Math.min(Math.max(lines + 1, 8), props.rows ?? 28)}
        value={text}
        onInput={(e) => {
          setText((e.target as HTMLTextAreaElement).value);
          setSavedAt(undefined);
        }}
      />
      {problem && (
        <div class="error" role="alert" data-testid={props.testids.error}>
          {problem.kind === 'local' ? problem.text : <ApiProblem error={problem.error} fieldLabel={t('field')} />}
        </div>
      )}
      {savedAt && (
        <div class="ok-box" role="status" data-testid={props.testids.saved}>
          {t('saved', { time: savedAt })}
        </div>
      )}
      <div class="toolbar">
        <button type="button" class="primary" data-testid={props.testids.save} disabled={busy} onClick={() => void save()}>
          {busy ? t('saving') : t('save')}
        </button>
        <button type="button" onClick={format} disabled={busy}>
          {t('format')}
        </button>
        {text !== savedText && <span class="muted">{t('unsaved')}</span>}
      </div>
    </div>
  );
}

function ApiProblem({ error, fieldLabel }: { error: ApiError; fieldLabel: string }) {
  const { field, why } = fieldOf(error.message);
  return (
    <>
      <code>{error.code}</code>{' '}
      {field !== undefined && (
        <>
          {fieldLabel} <mark class="field-name" data-field={field}>{field}</mark>:{' '}
        </>
      )}
      {why}
    </>
  );
}
