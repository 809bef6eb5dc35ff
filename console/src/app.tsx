/** The console's frame: sign-in gate, navigation, language switch, and the pages by route. */
import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, Route, Router } from 'preact-iso';
import { defineMessages, setLang, useLang, useT } from './i18n';
import { AuthorizePage } from './pages/authorize';
import { DeploymentPage } from './pages/deployment';
import { DeploymentsPage } from './pages/deployments';
import { FleetPage } from './pages/fleet';
import { KeysPage } from './pages/keys';
import { NewDeploymentPage } from './pages/new-deployment';
import { RegistrationsPage } from './pages/registrations';
import { SignInPage } from './pages/sign-in';
import { TemplatesPage } from './pages/templates';
import { TenantPage } from './pages/tenant';
import { onSessionChange, signOut, token } from './session';

const messages = defineMessages({
  zh: { fleet: '小程序', deployments: '发布', newDeployment: '新建发布', templates: '模板', authorize: '授权商家', registrations: '新商家注册', keys: '模板后端', signOut: '退出', emulator: '微信模拟器', notFound: '页面不存在' },
  en: { fleet: 'Fleet', deployments: 'Deployments', newDeployment: 'New deployment', templates: 'Templates', authorize: 'Authorize merchants', registrations: 'New merchants', keys: 'Template backend', signOut: 'Sign out', emulator: 'WeChat emulator', notFound: 'No such page' },
});

/** The built-in emulator's dashboard, when the server runs against it (it says so in a meta tag). */
const emulatorDashboard = document.querySelector<HTMLMetaElement>('meta[name="mpfleet-emulator-dashboard"]')?.content;

export function App() {
  const [signedIn, setSignedIn] = useState(token() !== undefined);
  useEffect(() => onSessionChange(() => setSignedIn(token() !== undefined)), []);
  return <LocationProvider>{signedIn ? <Shell /> : <SignInPage />}</LocationProvider>;
}

function Shell() {
  const t = useT(messages);
  const lang = useLang();
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="/console/fleet">
          mpfleet
        </a>
        <nav>
          <a href="/console/fleet">{t('fleet')}</a>
          <a href="/console/deployments">{t('deployments')}</a>
          <a href="/console/deployments/new">{t('newDeployment')}</a>
          <a href="/console/templates">{t('templates')}</a>
          <a href="/console/authorize">{t('authorize')}</a>
          <a href="/console/registrations">{t('registrations')}</a>
          <a href="/console/keys">{t('keys')}</a>
          {emulatorDashboard && (
            <a href={emulatorDashboard} target="_blank" rel="noreferrer">
              {t('emulator')} ↗
            </a>
          )}
        </nav>
        <span class="spacer" />
        <button type="button" class="link" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} aria-label="language">
          {lang === 'zh' ? 'English' : '中文'}
        </button>
        <button type="button" class="link" data-testid="sign-out" onClick={() => signOut()}>
          {t('signOut')}
        </button>
      </header>
      <main>
        <Router>
          <Route path="/console/fleet" component={FleetPage} />
          <Route path="/console/tenants/:appid" component={TenantPage} />
          <Route path="/console/templates" component={TemplatesPage} />
          <Route path="/console/deployments" component={DeploymentsPage} />
          <Route path="/console/deployments/new" component={NewDeploymentPage} />
          <Route path="/console/deployments/:id" component={DeploymentPage} />
          <Route path="/console/authorize" component={AuthorizePage} />
          <Route path="/console/registrations" component={RegistrationsPage} />
          <Route path="/console/keys" component={KeysPage} />
          <Route default component={() => <p>{t('notFound')}</p>} />
        </Router>
      </main>
    </div>
  );
}
