import { render } from 'preact';
import { App } from './app';
import { currentLang } from './i18n';
import './styles.css';

document.documentElement.lang = currentLang() === 'zh' ? 'zh-CN' : 'en';
render(<App />, document.getElementById('app')!);
