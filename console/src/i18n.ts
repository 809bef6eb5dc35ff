/**
 * Chinese by default, English on a switch; the choice is remembered in this browser. Each page
 * keeps its own messages next to it (`defineMessages`), so pages add words without sharing a file.
 */
import { useEffect, useState } from 'preact/hooks';

export type Lang = 'zh' | 'en';
const KEY = 'mpfleet.lang';
const listeners = new Set<(lang: Lang) => void>();

export function currentLang(): Lang {
  return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh';
}

export function setLang(lang: Lang): void {
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  listeners.forEach((listener) => listener(lang));
}

export function useLang(): Lang {
  const [lang, set] = useState(currentLang());
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return lang;
}

type Messages<K extends string> = Record<Lang, Record<K, string>>;

/** Both languages must name the same keys: the compiler holds a page to it. */
export function defineMessages<K extends string>(messages: Messages<K>): Messages<K> {
  return messages;
}

/** `t('key', {n: 3})` in the current language; `{n}` placeholders filled. */
export function useT<K extends string>(messages: Messages<K>): (key: K, values?: Record<string, string | number>) => string {
  const lang = useLang();
  return (key, values) => {
    const text = messages[lang][key];
    return values ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole)) : text;
  };
}
