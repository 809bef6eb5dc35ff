/**
 * A tenant's release gates as a checklist: ICP filing, privacy guide, basic info, categories and
 * audit quota, each passed, blocked (with every blocker's code, message and fix) or unknown (a
 * check WeChat did not answer); when they were read, and a button that reads them again now.
 */
import type { ComponentChildren } from 'preact';
import type { Blocker, Readiness, TenantView } from '../../../shared/contract/operator-api';
import { sendJson } from '../api';
import { defineMessages, useLang, useT } from '../i18n';
import { ActionButton, Badge } from './common';

const messages = defineMessages({
  zh: {
    title: '发布就绪检查',
    ready: '可发布',
    blocked: '受阻：{n} 项',
    notChecked: '尚未检查过这个小程序的发布条件。',
    checkedAt: '检查时间：{time}',
    checkAgain: '重新检查',
    checkedNow: '已从微信重新读取（只读调用）。',
    pass: '通过',
    fail: '受阻',
    unknown: '未知',
    icp: 'ICP 备案',
    icpStatus: '状态码 {status}',
    privacy: '用户隐私保护指引',
    privacyOn: '已设置',
    privacyOff: '未设置',
    keys: '覆盖的隐私项',
    granted: '已获授权的地理位置接口',
    noneGranted: '无',
    basicInfo: '基本信息（名称、头像、简介）',
    complete: '完整',
    missing: '缺少：{fields}',
    categories: '服务类目',
    noCategories: '没有服务类目',
    quota: '审核额度（本月）',
    quotaLeft: '剩余 {rest} / {limit}',
    quotaUnread: '未读取',
    unavailable: '微信未应答的检查',
    unavailableNote: '（此项事实未知，不算作阻碍）',
    fix: '处理方法',
    otherBlockers: '其他阻碍',
    field: '字段',
    suggest: '建议',
    nickname: '名称',
    avatar: '头像',
    introduction: '简介',
    filed: '已备案',
    in_review: '审核中',
    rejected: '被驳回',
    not_filed: '未备案',
    icpUnknown: '未知',
    icp_not_filed: '未完成 ICP 备案',
    icp_in_review: 'ICP 备案审核中',
    icp_rejected: 'ICP 备案被驳回',
    privacy_not_configured: '未设置用户隐私保护指引',
    privacy_api_undeclared: '隐私接口未声明',
    privacy_api_not_granted: '隐私接口未获授权',
    basic_info_incomplete: '基本信息不完整',
    category_missing: '缺少服务类目',
    audit_quota_exhausted: '审核额度已用完',
  },
  en: {
    title: 'Release readiness',
    ready: 'Ready',
    blocked: 'Blocked: {n}',
    notChecked: "This mini-program's release gates have not been read yet.",
    checkedAt: 'Checked {time}',
    checkAgain: 'Check again',
    checkedNow: 'Read from WeChat again (read calls only).',
    pass: 'passed',
    fail: 'blocked',
    unknown: 'unknown',
    icp: 'ICP filing',
    icpStatus: 'status {status}',
    privacy: 'User-privacy guide',
    privacyOn: 'set',
    privacyOff: 'not set',
    keys: 'Privacy keys covered',
    granted: 'Location APIs granted',
    noneGranted: 'none',
    basicInfo: 'Basic info (name, avatar, introduction)',
    complete: 'complete',
    missing: 'missing: {fields}',
    categories: 'Service categories',
    noCategories: 'no service category',
    quota: 'Audit quota (this month)',
    quotaLeft: '{rest} of {limit} left',
    quotaUnread: 'not read',
    unavailable: 'Checks WeChat did not answer',
    unavailableNote: '(the fact is unknown: it blocks nothing)',
    fix: 'Fix',
    otherBlockers: 'Other blockers',
    field: 'Field',
    suggest: 'Suggestion',
    nickname: 'name',
    avatar: 'avatar',
    introduction: 'introduction',
    filed: 'filed',
    in_review: 'in review',
    rejected: 'rejected',
    not_filed: 'not filed',
    icpUnknown: 'unknown',
    icp_not_filed: 'No ICP filing',
    icp_in_review: 'ICP filing under review',
    icp_rejected: 'ICP filing rejected',
    privacy_not_configured: 'No user-privacy guide',
    privacy_api_undeclared: 'Privacy APIs not declared',
    privacy_api_not_granted: 'Privacy APIs not granted',
    basic_info_incomplete: 'Basic info incomplete',
    category_missing: 'No service category',
    audit_quota_exhausted: 'Audit quota used up',
  },
});

type Key = keyof (typeof messages)['zh'];
type Gate = 'icp' | 'privacy' | 'basicInfo' | 'categories' | 'quota';

/** Which gate a blocker code belongs to; a code this console does not know yet lands under "other". */
function gateOf(code: string): Gate | undefined {
  if (code.startsWith('icp_')) return 'icp';
  if (code.startsWith('privacy_')) return 'privacy';
  if (code === 'basic_info_incomplete') return 'basicInfo';
  if (code === 'category_missing') return 'categories';
  if (code === 'audit_quota_exhausted') return 'quota';
  return undefined;
}

/** The checks (as `unavailable[].check` names them) behind each gate. */
const CHECKS: Record<Gate, string[]> = {
  icp: ['icp'],
  privacy: ['privacy', 'privacy_interfaces'],
  basicInfo: ['basic_info'],
  categories: ['categories'],
  quota: ['quota'],
};

export function formatTime(value: string | number, lang: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

export function ReadinessCard({ tenant, onChecked, justChecked }: { tenant: TenantView; onChecked: (tenant: TenantView) => void; justChecked: boolean }) {
  const t = useT(messages);
  const lang = useLang();
  const readiness = tenant.readiness;
  return (
    <div class="card">
      <h2>{t('title')}</h2>
      <div class="toolbar">
        {readiness ? readiness.ready ? <Badge value="ready" label={t('ready')} /> : <Badge value="blocked" label={t('blocked', { n: readiness.blockers.length })} /> : <span class="muted">{t('notChecked')}</span>}
        {readiness && <span class="muted" data-testid="readiness-checked-at">{t('checkedAt', { time: formatTime(readiness.checkedAtMs, lang) })}</span>}
        <span class="spacer" />
        <span data-testid="readiness-check">
          <ActionButton label={t('checkAgain')} run={async () => onChecked(await sendJson<TenantView>('POST', `/api/tenants/${tenant.appid}/readiness`, {}))} />
        </span>
      </div>
      {justChecked && (
        <div class="ok-box" role="status">
          {t('checkedNow')}
        </div>
      )}
      {readiness && <Checklist readiness={readiness} t={t} />}
    </div>
  );
}

function Checklist({ readiness, t }: { readiness: Readiness; t: (key: Key, values?: Record<string, string | number>) => string }) {
  const blockersOf = (gate: Gate) => readiness.blockers.filter((b) => gateOf(b.code) === gate);
  const unansweredOf = (gate: Gate) => (readiness.unavailable ?? []).filter((u) => CHECKS[gate].includes(u.check));
  const known = new Set(Object.values(CHECKS).flat());
  const otherUnanswered = (readiness.unavailable ?? []).filter((u) => !known.has(u.check));
  const otherBlockers = readiness.blockers.filter((b) => gateOf(b.code) === undefined);
  const { icp, privacy, basicInfo, categories, quota } = readiness;
  // An unanswered check's facts are placeholders (e.g. no categories): say "unknown" instead.
  const unread = (check: string) => (readiness.unavailable ?? []).some((u) => u.check === check);
  const unknown = <span class="muted">{t('unknown')}</span>;

  const item = (gate: Gate, title: string, facts: ComponentChildren) => {
    const blockers = blockersOf(gate);
    const unanswered = unansweredOf(gate);
    const state = blockers.length ? 'blocked' : unanswered.length ? 'unknown' : 'ready';
    return (
      <li data-gate={gate} data-state={state}>
        <div class="gate-head">
          <Badge value={state === 'unknown' ? 'waiting' : state} label={state === 'blocked' ? t('fail') : state === 'unknown' ? t('unknown') : t('pass')} /> <b>{title}</b>
        </div>
        <div class="gate-facts">{facts}</div>
        {unanswered.map((u) => (
          <div class="muted" data-unavailable={u.check}>
            {t('unavailable')}: <code>{u.check}</code> <code>{u.code}</code> {u.message} {t('unavailableNote')}
          </div>
        ))}
        {blockers.map((b) => (
          <BlockerLine blocker={b} t={t} />
        ))}
      </li>
    );
  };

  return (
    <ul class="checklist" data-testid="readiness">
      {item(
        'icp',
        t('icp'),
        <>
          {icp.state === 'unknown' ? t('icpUnknown') : t(icp.state)}
          {icp.status !== undefined && <span class="muted"> · {t('icpStatus', { status: icp.status })}</span>}
          {icp.rejections && icp.rejections.length > 0 && (
            <ul class="gate-list">
              {icp.rejections.map((r) => (
                <li>
                  {t('field')} <code>{r.field}</code>: {r.error}
                  {r.suggest && (
                    <span class="muted">
                      {' '}
                      · {t('suggest')}: {r.suggest}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </>,
      )}
      {item(
        'privacy',
        t('privacy'),
        <>
          {unread('privacy') ? unknown : privacy.configured ? t('privacyOn') : t('privacyOff')}
          {privacy.keys.length > 0 && (
            <div>
              <span class="muted">{t('keys')}:</span> {privacy.keys.map((k) => <code class="tag">{k}</code>)}
            </div>
          )}
          <div>
            <span class="muted">{t('granted')}:</span> {unread('privacy_interfaces') ? unknown : privacy.grantedApis.length ? privacy.grantedApis.map((api) => <code class="tag">{api}</code>) : t('noneGranted')}
          </div>
        </>,
      )}
      {item(
        'basicInfo',
        t('basicInfo'),
        <>
          {unread('basic_info') ? unknown : basicInfo.complete ? t('complete') : t('missing', { fields: basicInfo.missing.map((m) => t(m)).join(', ') })}
          {basicInfo.signature && <div class="muted">{basicInfo.signature}</div>}
        </>,
      )}
      {item(
        'categories',
        t('categories'),
        unread('categories') ? (
          unknown
        ) : categories.length === 0 ? (
          t('noCategories')
        ) : (
          <ul class="gate-list">
            {categories.map((c) => (
              <li>
                {[c.first, c.second, c.third].filter(Boolean).join(' / ')}{' '}
                <span class="muted mono">{[c.firstId, c.secondId, c.thirdId].filter((id) => id !== undefined).join('/')}</span>
              </li>
            ))}
          </ul>
        ),
      )}
      {item('quota', t('quota'), quota ? t('quotaLeft', { rest: quota.rest, limit: quota.limit }) : <span class="muted">{t('quotaUnread')}</span>)}
      {(otherBlockers.length > 0 || otherUnanswered.length > 0) && (
        <li data-gate="other" data-state={otherBlockers.length ? 'blocked' : 'unknown'}>
          <div class="gate-head">
            <b>{otherBlockers.length ? t('otherBlockers') : t('unavailable')}</b>
          </div>
          {otherUnanswered.map((u) => (
            <div class="muted" data-unavailable={u.check}>
              <code>{u.check}</code> <code>{u.code}</code> {u.message} {t('unavailableNote')}
            </div>
          ))}
          {otherBlockers.map((b) => (
            <BlockerLine blocker={b} t={t} />
          ))}
        </li>
      )}
    </ul>
  );
}

function BlockerLine({ blocker, t }: { blocker: Blocker; t: (key: Key) => string }) {
  const title = (messages.zh as Record<string, string>)[blocker.code] === undefined ? blocker.code : t(blocker.code as Key);
  return (
    <div class="blocker" data-blocker={blocker.code}>
      <div>
        <Badge value="blocked" label={blocker.code} /> <b>{title}</b>
      </div>
      <div>{blocker.message}</div>
      <div class="fix">
        {t('fix')}: {blocker.fix}
      </div>
    </div>
  );
}
