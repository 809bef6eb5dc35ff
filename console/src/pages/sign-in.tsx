/** Sign-in with the operator token: checked against the API before it is kept (for this browser session only). */
import { useState } from 'preact/hooks';
import { checkToken } from '../api';
import { defineMessages, setLang, useLang, useT } from '../i18n';
import { signIn, signOutReason } from '../session';

const messages = defineMessages({
  zh: {
    title: '登录 mpfleet 控制台',
    token: '运营令牌 (operator token)',
    where: '本地运行时由 npm start 打印，并保存在 .local/operator-token；AWS 上为 SSM 参数 <prefix>/operator-token。',
    submit: '登录',
    rejected: '令牌被拒绝：',
    signedOut: '已退出登录：',
    kept: '令牌只保存在当前浏览器会话中，关闭浏览器即失效。',
  },
  en: {
    title: 'Sign in to the mpfleet console',
    token: 'Operator token',
    where: 'Locally, npm start prints it and keeps it in .local/operator-token; on AWS it is the SSM parameter <prefix>/operator-token.',
    submit: 'Sign in',
    rejected: 'Token refused: ',
    signedOut: 'Signed out: ',
    kept: 'The token is kept for this browser session only.',
  },
});

export function SignInPage() {
  const t = useT(messages);
  const lang = useLang();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const result = await checkToken(value).catch((e: Error) => ({ ok: false as const, message: e.message }));
    setBusy(false);
    if (result.ok) signIn(value);
    else setError(result.message);
  };
  return (
    <div class="sign-in">
      <button type="button" class="link lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
        {lang === 'zh' ? 'English' : '中文'}
      </button>
      <h1>{t('title')}</h1>
      {signOutReason && !error && (
        <div class="error" role="alert">
          {t('signedOut')}
          {signOutReason}
        </div>
      )}
      <form onSubmit={(e) => void submit(e)}>
        <label>
          {t('token')}
          <input name="token" type="password" autocomplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} required />
        </label>
        <p class="muted">{t('where')}</p>
        {error && (
          <div class="error" role="alert">
            {t('rejected')}
            {error}
          </div>
        )}
        <button type="submit" disabled={busy || value.trim() === ''}>
          {t('submit')}
        </button>
        <p class="muted">{t('kept')}</p>
      </form>
    </div>
  );
}
