/**
 * A secret on screen with a copy button: a new service key's secret, a forwarding signing secret.
 * It lives in the caller's component state only (never in storage, never in the URL); when the
 * clipboard is refused, the text is selected for copying by hand.
 */
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  zh: { copy: '复制', copied: '已复制', copyFailed: '无法访问剪贴板：已选中，请手动复制。' },
  en: { copy: 'Copy', copied: 'Copied', copyFailed: 'The clipboard is not available: the text is selected, copy it by hand.' },
});

export function SecretBox({ secret, testid, children }: { secret: string; testid: string; children?: ComponentChildren }) {
  const t = useT(messages);
  const node = useRef<HTMLElement>(null);
  const [copy, setCopy] = useState<'copied' | 'failed'>();
  const copySecret = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopy('copied');
    } catch {
      if (node.current) window.getSelection()?.selectAllChildren(node.current);
      setCopy('failed');
    }
  };
  return (
    <div class="secret-box">
      {children}
      <div class="secret-row">
        <code ref={node} class="secret" data-testid={testid}>
          {secret}
        </code>
        <button type="button" data-testid={`${testid}-copy`} onClick={() => void copySecret()}>
          {t('copy')}
        </button>
        {copy === 'copied' && <span class="secret-copied">✓ {t('copied')}</span>}
        {copy === 'failed' && <span class="field-error">{t('copyFailed')}</span>}
      </div>
    </div>
  );
}
