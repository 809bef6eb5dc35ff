/**
 * New deployment: the template, version and description, the tenants (every active one, the ones
 * chosen from a searchable list, or the ready ones), the audit and release options. The preflight
 * (POST /api/deployments/preflight, the same body) shows who WeChat would refuse and why and what
 * the audit quota leaves; only after a preflight of the form as it is now can the operator deploy
 * (POST /api/deployments → 202 {id} → the deployment's page). Optionally a staged rollout: waves
 * as cumulative percentages after optional pilot tenants, advanced by the operator or after a soak
 * time, halted when too many of a wave fail or are rejected (off unless the operator turns it on).
 */
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { CreateDeploymentRequest, DeploymentCreated, PreflightResult, TemplateList, TenantPage } from '../../../shared/contract/operator-api';
import { ApiError, getJson, sendJson } from '../api';
import { Badge, ErrorBox, Show, useLoad } from '../components/common';
import { formatTime } from '../components/deployment-parts';
import { defineMessages, useLang, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    title: '新建发布',
    template: '模板',
    chooseTemplate: '选择模板…',
    noTemplates: '模板库是空的：先在「模板」页把草稿加入模板库。',
    version: '版本号（user_version）',
    versionHint: '例如 1.2.0',
    desc: '版本说明（user_desc）',
    tenants: '发布到',
    allActive: '全部已授权（active）的小程序',
    chosen: '选定的小程序',
    readyOnly: '仅可发布（就绪）的小程序',
    search: '搜索名称或 AppID',
    selected: '已选 {n} 个',
    clear: '清空',
    more: '下一页',
    first: '第一页',
    noTenant: '没有符合条件的小程序。',
    readyCount: '当前就绪的小程序：{n} 个',
    readyNone: '现在没有就绪的小程序。',
    loadingReady: '正在读取就绪的小程序…',
    options: '审核与发布',
    submitAudit: '提交审核',
    releaseMode: '审核通过后',
    auto: '自动全量发布',
    manual: '手动发布（可灰度）',
    versionDesc: '审核备注（version_desc，可选）',
    privacyApiNotUse: '代码不调用隐私接口（privacy_api_not_use）',
    preflight: '预检',
    checking: '预检中…',
    deploy: '发布到 {n} 个就绪的小程序',
    deployPlain: '发布',
    deploying: '正在创建…',
    needPreflight: '先运行预检：发布前需要对当前表单做一次预检。',
    stale: '表单在预检后改动过：请重新预检。',
    chooseSome: '至少选择一个小程序。',
    noReady: '没有就绪的小程序可发布。',
    missing: '请填写：{fields}',
    result: '预检结果',
    ready: '就绪',
    blocked: '受阻',
    skipped: '跳过（非 active）',
    quota: '审核额度：本月剩余 {rest} / {limit}，本次计划提审 {planned}',
    quotaUnknown: '审核额度未知（微信 queryquota 未应答）',
    quotaShort: '额度不足 {short}：提交 {rest} 个后发布会暂停，额度恢复后「重试」提交其余的。',
    noBlocked: '没有受阻的小程序。',
    blockedWarn: '{n} 个小程序受阻：发布只提交就绪的，受阻的以 blocked 结束（修复后重试）。',
    appid: 'AppID',
    name: '名称',
    code: '阻碍',
    message: '原因',
    fix: '解决办法',
    moreBlocked: '另有 {n} 个受阻的小程序未列出（在「小程序」页筛选「受阻」可看到全部）。',
    staged: '分批发布',
    stagedOn: '分批发布：一批发布完成后再开始下一批',
    waves: '各批累计比例 %',
    wavesHint: '例如 5, 25, 100：每个数是累计比例，逐个增大，最后一个为 100',
    pilot: '先行的小程序（第一批，可选）',
    pilotHint: 'AppID，用逗号或空格分隔',
    advance: '推进到下一批',
    advanceManual: '手动（上一批稳定后点「推进」）',
    advanceAfter: '自动，上一批稳定后',
    minutes: '分钟',
    halt: '暂停阈值 %（可选）',
    haltHint: '一批中失败或被拒的比例达到它时暂停，后续批次不提交',
    wavesBad: 'waves: 「{v}」不是 1 到 100 的整数',
    wavesNone: 'waves: 至少填一个比例（最后一个为 100），或填写先行的小程序',
    minutesBad: 'advance: 分钟数须为不小于 0 的数字',
    haltBad: 'haltWhen: 暂停阈值须为 1 到 100 之间的数字',
  },
  en: {
    title: 'New deployment',
    template: 'Template',
    chooseTemplate: 'Choose a template…',
    noTemplates: 'The template library is empty: add a draft on the Templates page first.',
    version: 'Version (user_version)',
    versionHint: 'e.g. 1.2.0',
    desc: 'Description (user_desc)',
    tenants: 'Deploy to',
    allActive: 'Every active tenant',
    chosen: 'Chosen tenants',
    readyOnly: 'Only the ready tenants',
    search: 'Search name or appid',
    selected: '{n} selected',
    clear: 'Clear',
    more: 'Next page',
    first: 'First page',
    noTenant: 'No tenant matches.',
    readyCount: 'Ready now: {n} tenants',
    readyNone: 'No tenant is ready now.',
    loadingReady: 'Reading the ready tenants…',
    options: 'Audit and release',
    submitAudit: 'Submit for audit',
    releaseMode: 'Once approved',
    auto: 'release fully, automatically',
    manual: 'release manually (gray possible)',
    versionDesc: 'Note for the reviewer (version_desc, optional)',
    privacyApiNotUse: 'The code calls no privacy API (privacy_api_not_use)',
    preflight: 'Preflight',
    checking: 'Checking…',
    deploy: 'Deploy to {n} ready tenants',
    deployPlain: 'Deploy',
    deploying: 'Creating…',
    needPreflight: 'Run the preflight first: the form as it is now must pass through one before deploying.',
    stale: 'The form changed since the preflight: run it again.',
    chooseSome: 'Choose at least one tenant.',
    noReady: 'No ready tenant to deploy to.',
    missing: 'Fill in: {fields}',
    result: 'Preflight',
    ready: 'ready',
    blocked: 'blocked',
    skipped: 'skipped (not active)',
    quota: 'Audit quota: {rest} of {limit} left this month, this deployment plans {planned}',
    quotaUnknown: "Audit quota unknown (WeChat's queryquota did not answer)",
    quotaShort: 'Short by {short}: the deployment submits {rest}, then pauses; retry it once the quota is back to submit the rest.',
    noBlocked: 'No tenant is blocked.',
    blockedWarn: '{n} tenants are blocked: the deployment submits only the ready ones; the blocked end `blocked` (retry after the fix).',
    appid: 'AppID',
    name: 'Name',
    code: 'Blocker',
    message: 'Why',
    fix: 'Fix',
    moreBlocked: '{n} more blocked tenants not listed (the Fleet page filtered on blocked lists them all).',
    staged: 'Staged rollout',
    stagedOn: 'Deploy in waves: each wave released before the next opens',
    waves: 'Waves, cumulative %',
    wavesHint: 'e.g. 5, 25, 100: each a cumulative share, each larger than the one before, the last 100',
    pilot: 'Pilot tenants (the first wave, optional)',
    pilotHint: 'appids, separated by commas or spaces',
    advance: 'Next wave',
    advanceManual: 'manual (Advance once the wave before settled)',
    advanceAfter: 'automatic, after the wave before settled, in',
    minutes: 'minutes',
    halt: 'Halt threshold % (optional)',
    haltHint: 'halts when this share of a wave failed or was rejected; no later wave is submitted',
    wavesBad: 'waves: "{v}" is not a whole number from 1 to 100',
    wavesNone: 'waves: give at least one percentage (the last 100), or pilot tenants',
    minutesBad: 'advance: the minutes must be a number, 0 or more',
    haltBad: 'haltWhen: the threshold must be a number from 1 to 100',
  },
});

type Mode = 'all' | 'chosen' | 'ready';
const TENANT_PAGE = 50;
/** The most a tenants page may hold: the ready ones are read in pages of this. */
const READY_PAGE = 500;
/** The blocked tenants the preflight's table lists (a fleet of thousands may have hundreds). */
const BLOCKED_LISTED = 200;

/** The API's 400 messages start with the field (`userVersion: …`): which of the form's fields it names. */
const FIELD_OF_MESSAGE = /^(templateId|userVersion|userDesc|tenants|versionDesc|release|submitAudit|privacyApiNotUse|waves|advance|haltWhen)\b/;
/** A waves error about the pilot wave (the first, when pilot tenants are given). */
const PILOT_MESSAGE = /^waves(\.0\b| name tenants)/;

/** `5, 25 100` → ['5', '25', '100']. */
const words = (text: string) => text.split(/[\s,，、;；]+/).filter(Boolean);

export function NewDeploymentPage() {
  const t = useT(messages);
  const lang = useLang();
  const { route } = useLocation();
  const [templates] = useLoad(() => getJson<TemplateList>('/api/templates'), []);

  const [templateId, setTemplateId] = useState('');
  const [version, setVersion] = useState('');
  const [desc, setDesc] = useState('');
  const [mode, setMode] = useState<Mode>('all');
  const [chosen, setChosen] = useState<string[]>([]);
  const [submitAudit, setSubmitAudit] = useState(true);
  const [release, setRelease] = useState<'auto' | 'manual'>('auto');
  const [versionDesc, setVersionDesc] = useState('');
  const [privacyApiNotUse, setPrivacyApiNotUse] = useState(false);
  const [readyAppids, setReadyAppids] = useState<string[] | undefined>();
  const [staged, setStaged] = useState(false);
  const [wavesText, setWavesText] = useState('5, 25, 100');
  const [pilotText, setPilotText] = useState('');
  const [advanceMode, setAdvanceMode] = useState<'manual' | 'after'>('manual');
  const [minutes, setMinutes] = useState('60');
  const [haltText, setHaltText] = useState('');

  const [busy, setBusy] = useState<'preflight' | 'deploy' | undefined>();
  const [error, setError] = useState<ApiError>();
  const [checked, setChecked] = useState<{ key: string; result: PreflightResult }>();

  // The newest template is the likely one.
  useEffect(() => {
    if (templates.state === 'ready' && templateId === '' && templates.value.templates.length > 0) {
      const newest = [...templates.value.templates].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.templateId - a.templateId)[0]!;
      setTemplateId(String(newest.templateId));
    }
  }, [templates]);

  // The ready tenants, every page of them, when that mode is chosen.
  useEffect(() => {
    if (mode !== 'ready') return;
    let live = true;
    setReadyAppids(undefined);
    (async () => {
      const appids: string[] = [];
      let next: string | undefined;
      do {
        const query = new URLSearchParams({ ready: 'true', status: 'active', limit: String(READY_PAGE), ...(next ? { nextToken: next } : {}) });
        const page = await getJson<TenantPage>(`/api/tenants?${query.toString()}`);
        appids.push(...page.tenants.map((tenant) => tenant.appid));
        next = page.nextToken;
      } while (next && live);
      if (live) setReadyAppids(appids);
    })().catch((e: unknown) => live && setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e))));
    return () => void (live = false);
  }, [mode]);

  const tenants = mode === 'chosen' ? chosen : mode === 'ready' ? readyAppids : undefined;
  const percents = words(wavesText);
  const pilot = words(pilotText);
  const stagedFields: Pick<CreateDeploymentRequest, 'waves' | 'advance' | 'haltWhen'> = staged
    ? {
        waves: [...(pilot.length ? [{ tenants: pilot }] : []), ...percents.map((p) => ({ percent: Number(p) }))],
        advance: advanceMode === 'manual' ? 'manual' : { afterMinutes: Number(minutes) },
        ...(haltText.trim() ? { haltWhen: { failedOrRejectedPercent: Number(haltText) } } : {}),
      }
    : {};
  const body: CreateDeploymentRequest = {
    templateId: Number(templateId),
    userVersion: version.trim(),
    userDesc: desc.trim(),
    ...(tenants ? { tenants } : {}),
    submitAudit,
    release,
    ...(versionDesc.trim() ? { versionDesc: versionDesc.trim() } : {}),
    ...(privacyApiNotUse ? { privacyApiNotUse: true } : {}),
    ...stagedFields,
  };
  const key = JSON.stringify(body);
  const current = checked?.key === key ? checked.result : undefined;

  /** What the browser can tell before asking the API (the API checks everything again). */
  const localProblem = (): string | undefined => {
    const missing = [templateId === '' && t('template'), !body.userVersion && t('version'), !body.userDesc && t('desc')].filter(Boolean);
    if (missing.length) return t('missing', { fields: missing.join(', ') });
    if (mode === 'chosen' && chosen.length === 0) return t('chooseSome');
    if (mode === 'ready' && readyAppids === undefined) return t('loadingReady');
    if (mode === 'ready' && readyAppids!.length === 0) return t('noReady');
    if (staged) {
      const bad = percents.find((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 100);
      if (bad !== undefined) return t('wavesBad', { v: bad });
      if (percents.length === 0 && pilot.length === 0) return t('wavesNone');
      if (advanceMode === 'after' && !(minutes.trim() !== '' && Number(minutes) >= 0)) return t('minutesBad');
      if (haltText.trim() && !(Number(haltText) >= 1 && Number(haltText) <= 100)) return t('haltBad');
    }
    return undefined;
  };

  const run = async (what: 'preflight' | 'deploy') => {
    const problem = localProblem();
    if (problem) {
      setError(new ApiError(400, 'form', problem));
      return;
    }
    setBusy(what);
    setError(undefined);
    try {
      if (what === 'preflight') {
        const result = await sendJson<PreflightResult>('POST', '/api/deployments/preflight', body);
        setChecked({ key, result });
      } else {
        const created = await sendJson<DeploymentCreated>('POST', '/api/deployments', body);
        route(`/console/deployments/${created.id}`);
      }
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(undefined);
    }
  };

  const namedField = error && error.status === 400 ? FIELD_OF_MESSAGE.exec(error.message)?.[1] : undefined;
  const errorField = namedField === 'waves' && pilot.length > 0 && (PILOT_MESSAGE.test(error!.message) || error!.code === 'wave_tenants_not_targeted') ? 'pilot' : namedField;
  const fieldError = (field: string) => (errorField === field ? <span class="field-error">{error!.message}</span> : null);
  const readyCount = current?.counts.ready ?? 0;

  return (
    <section class="nd">
      <h1>{t('title')}</h1>
      <form
        class="nd-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run('preflight');
        }}
      >
        <div class="card">
          <Show loaded={templates}>
            {(list) =>
              list.templates.length === 0 ? (
                <p class="muted">
                  {t('noTemplates')} <a href="/console/templates">→</a>
                </p>
              ) : (
                <label>
                  {t('template')}
                  <select data-testid="nd-template" value={templateId} onChange={(e) => setTemplateId((e.target as HTMLSelectElement).value)}>
                    <option value="" disabled>
                      {t('chooseTemplate')}
                    </option>
                    {list.templates.map((tpl) => (
                      <option value={String(tpl.templateId)}>
                        #{tpl.templateId} · {tpl.userVersion} · {tpl.userDesc} ({formatTime(tpl.createdAt, lang)})
                      </option>
                    ))}
                  </select>
                  {fieldError('templateId')}
                </label>
              )
            }
          </Show>
          <div class="nd-row">
            <label>
              {t('version')}
              <input data-testid="nd-version" value={version} placeholder={t('versionHint')} maxLength={64} onInput={(e) => setVersion((e.target as HTMLInputElement).value)} />
              {fieldError('userVersion')}
            </label>
            <label class="nd-grow">
              {t('desc')}
              <input data-testid="nd-desc" value={desc} maxLength={512} onInput={(e) => setDesc((e.target as HTMLInputElement).value)} />
              {fieldError('userDesc')}
            </label>
          </div>
        </div>

        <fieldset class="card nd-fieldset">
          <legend>{t('tenants')}</legend>
          <div class="nd-modes">
            <label class="inline">
              <input type="radio" name="nd-tenants" data-testid="nd-tenants-all" checked={mode === 'all'} onChange={() => setMode('all')} />
              {t('allActive')}
            </label>
            <label class="inline">
              <input type="radio" name="nd-tenants" data-testid="nd-tenants-chosen" checked={mode === 'chosen'} onChange={() => setMode('chosen')} />
              {t('chosen')}
            </label>
            <label class="inline">
              <input type="radio" name="nd-tenants" data-testid="nd-tenants-ready" checked={mode === 'ready'} onChange={() => setMode('ready')} />
              {t('readyOnly')}
            </label>
          </div>
          {mode === 'chosen' && <TenantPicker chosen={chosen} setChosen={setChosen} />}
          {mode === 'ready' &&
            (readyAppids === undefined ? (
              <p class="muted">{t('loadingReady')}</p>
            ) : readyAppids.length === 0 ? (
              <p class="muted">{t('readyNone')}</p>
            ) : (
              <p>
                {t('readyCount', { n: readyAppids.length })}{' '}
                <span class="muted mono nd-appids">
                  {readyAppids.slice(0, 12).join(', ')}
                  {readyAppids.length > 12 ? ` … +${readyAppids.length - 12}` : ''}
                </span>
              </p>
            ))}
          {fieldError('tenants')}
        </fieldset>

        <fieldset class="card nd-fieldset">
          <legend>{t('options')}</legend>
          <label class="inline">
            <input type="checkbox" data-testid="nd-submit-audit" checked={submitAudit} onChange={(e) => setSubmitAudit((e.target as HTMLInputElement).checked)} />
            {t('submitAudit')}
          </label>
          <div class="nd-modes">
            <span class="muted">{t('releaseMode')}:</span>
            <label class="inline">
              <input type="radio" name="nd-release" data-testid="nd-release-auto" checked={release === 'auto'} onChange={() => setRelease('auto')} />
              {t('auto')}
            </label>
            <label class="inline">
              <input type="radio" name="nd-release" data-testid="nd-release-manual" checked={release === 'manual'} onChange={() => setRelease('manual')} />
              {t('manual')}
            </label>
          </div>
          <label>
            {t('versionDesc')}
            <input data-testid="nd-version-desc" value={versionDesc} maxLength={512} onInput={(e) => setVersionDesc((e.target as HTMLInputElement).value)} />
            {fieldError('versionDesc')}
          </label>
          <label class="inline">
            <input type="checkbox" data-testid="nd-privacy-api-not-use" checked={privacyApiNotUse} onChange={(e) => setPrivacyApiNotUse((e.target as HTMLInputElement).checked)} />
            {t('privacyApiNotUse')}
          </label>
        </fieldset>

        <fieldset class="card nd-fieldset nd-staged" data-testid="nd-staged-section">
          <legend>{t('staged')}</legend>
          <label class="inline">
            <input type="checkbox" data-testid="nd-staged" checked={staged} onChange={(e) => setStaged((e.target as HTMLInputElement).checked)} />
            {t('stagedOn')}
          </label>
          {staged && (
            <>
              <div class="nd-row">
                <label>
                  {t('waves')}
                  <input data-testid="nd-waves" value={wavesText} placeholder="5, 25, 100" onInput={(e) => setWavesText((e.target as HTMLInputElement).value)} />
                  <span class="muted">{t('wavesHint')}</span>
                  {fieldError('waves')}
                </label>
                <label>
                  {t('pilot')}
                  <input data-testid="nd-pilot" class="mono" value={pilotText} placeholder={t('pilotHint')} onInput={(e) => setPilotText((e.target as HTMLInputElement).value)} />
                  {fieldError('pilot')}
                </label>
              </div>
              <div class="nd-modes">
                <span class="muted">{t('advance')}:</span>
                <label class="inline">
                  <input type="radio" name="nd-advance" data-testid="nd-advance-manual" checked={advanceMode === 'manual'} onChange={() => setAdvanceMode('manual')} />
                  {t('advanceManual')}
                </label>
                <label class="inline">
                  <input type="radio" name="nd-advance" data-testid="nd-advance-after" checked={advanceMode === 'after'} onChange={() => setAdvanceMode('after')} />
                  {t('advanceAfter')}
                  <input
                    class="nd-minutes"
                    data-testid="nd-advance-minutes"
                    type="number"
                    min={0}
                    step="any"
                    value={minutes}
                    aria-label={t('minutes')}
                    disabled={advanceMode !== 'after'}
                    onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
                  />
                  {t('minutes')}
                </label>
              </div>
              {fieldError('advance')}
              <label>
                {t('halt')}
                <input data-testid="nd-halt" class="nd-minutes" type="number" min={1} max={100} step="any" value={haltText} onInput={(e) => setHaltText((e.target as HTMLInputElement).value)} />
                <span class="muted">{t('haltHint')}</span>
                {fieldError('haltWhen')}
              </label>
            </>
          )}
        </fieldset>

        <div data-testid="nd-error">
          <ErrorBox error={error} />
        </div>

        <div class="toolbar">
          <button type="submit" data-testid="nd-preflight" disabled={busy !== undefined}>
            {busy === 'preflight' ? t('checking') : t('preflight')}
          </button>
          <button type="button" class="primary" data-testid="nd-deploy" disabled={busy !== undefined || !current || readyCount === 0} onClick={() => void run('deploy')}>
            {busy === 'deploy' ? t('deploying') : current ? t('deploy', { n: readyCount }) : t('deployPlain')}
          </button>
          {!current && <span class="muted">{checked ? t('stale') : t('needPreflight')}</span>}
        </div>
      </form>

      {checked && <PreflightView result={checked.result} stale={!current} />}
    </section>
  );
}

/** Active tenants, searchable (`?q=`), page by page; the checked ones stay chosen across searches and pages. */
function TenantPicker({ chosen, setChosen }: { chosen: string[]; setChosen: (appids: string[]) => void }) {
  const t = useT(messages);
  const [q, setQ] = useState('');
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const query = new URLSearchParams({ status: 'active', limit: String(TENANT_PAGE), ...(q.trim() ? { q: q.trim() } : {}), ...(cursor ? { nextToken: cursor } : {}) }).toString();
  const [page] = useLoad(() => getJson<TenantPage>(`/api/tenants?${query}`), [query]);
  const toggle = (appid: string, on: boolean) => setChosen(on ? [...chosen.filter((a) => a !== appid), appid] : chosen.filter((a) => a !== appid));

  return (
    <div class="nd-picker">
      <div class="filters">
        <input
          type="search"
          data-testid="nd-tenant-search"
          placeholder={t('search')}
          aria-label={t('search')}
          value={q}
          onInput={(e) => {
            setQ((e.target as HTMLInputElement).value);
            setPages([]);
          }}
        />
        <span data-testid="nd-chosen-count">{t('selected', { n: chosen.length })}</span>
        {chosen.length > 0 && (
          <button type="button" class="link" onClick={() => setChosen([])}>
            {t('clear')}
          </button>
        )}
      </div>
      {chosen.length > 0 && (
        <div class="nd-chosen">
          {chosen.map((appid) => (
            <button type="button" class="chip on mono" title="×" onClick={() => toggle(appid, false)}>
              {appid} ×
            </button>
          ))}
        </div>
      )}
      <Show loaded={page}>
        {(p) =>
          p.tenants.length === 0 ? (
            <p class="muted">{t('noTenant')}</p>
          ) : (
            <>
              <ul class="nd-tenant-list">
                {p.tenants.map((tenant) => {
                  const blockers = tenant.readiness?.blockers ?? [];
                  return (
                    <li>
                      <label class="inline">
                        <input type="checkbox" data-testid={`nd-tenant-${tenant.appid}`} checked={chosen.includes(tenant.appid)} onChange={(e) => toggle(tenant.appid, (e.target as HTMLInputElement).checked)} />
                        <span>{tenant.nickName ?? tenant.appid}</span>
                        <span class="muted mono">{tenant.appid}</span>
                        {tenant.readiness && (blockers.length === 0 ? <Badge value="ready" label={t('ready')} /> : <Badge value="blocked" label={blockers[0]!.code} />)}
                      </label>
                    </li>
                  );
                })}
              </ul>
              <div class="pager">
                {pages.length > 0 && (
                  <button type="button" onClick={() => setPages([])}>
                    {t('first')}
                  </button>
                )}
                {p.nextToken && (
                  <button type="button" onClick={() => setPages([...pages, p.nextToken!])}>
                    {t('more')}
                  </button>
                )}
              </div>
            </>
          )
        }
      </Show>
    </div>
  );
}

function PreflightView({ result, stale }: { result: PreflightResult; stale: boolean }) {
  const t = useT(messages);
  const blocked = result.tenants.filter((tenant) => !tenant.ready);
  const quota = result.quota;
  const short = quota ? quota.planned - quota.rest : 0;
  return (
    <div class={`card nd-result${stale ? ' stale' : ''}`} data-testid="nd-preflight-result" data-ready={result.counts.ready} data-blocked={result.counts.blocked} data-skipped={result.counts.skipped}>
      <h2>{t('result')}</h2>
      {stale && <p class="muted">{t('stale')}</p>}
      <div class="versions">
        <span class="chip" data-testid="nd-count-ready">
          <Badge value="ready" label={t('ready')} /> <b>{result.counts.ready}</b>
        </span>
        <span class="chip" data-testid="nd-count-blocked">
          <Badge value="blocked" label={t('blocked')} /> <b>{result.counts.blocked}</b>
        </span>
        <span class="chip" data-testid="nd-count-skipped">
          <Badge value="skipped" label={t('skipped')} /> <b>{result.counts.skipped}</b>
        </span>
      </div>
      <p data-testid="nd-quota" class={short > 0 ? 'dep-warn' : ''}>
        {quota ? t('quota', { rest: quota.rest, limit: quota.limit, planned: quota.planned }) : t('quotaUnknown')}
        {short > 0 && (
          <>
            <br />⚠ {t('quotaShort', { short, rest: quota!.rest })}
          </>
        )}
      </p>
      {blocked.length === 0 ? (
        <p class="ok-box">{t('noBlocked')}</p>
      ) : (
        <>
          <p class="dep-warn">{t('blockedWarn', { n: blocked.length })}</p>
          <table class="grid" data-testid="nd-blocked">
            <thead>
              <tr>
                <th>{t('appid')}</th>
                <th>{t('code')}</th>
                <th>{t('message')}</th>
                <th>{t('fix')}</th>
              </tr>
            </thead>
            <tbody>
              {blocked.slice(0, BLOCKED_LISTED).flatMap((tenant) =>
                (tenant.blockers.length ? tenant.blockers : [undefined]).map((b, i) => (
                  <tr data-appid={tenant.appid}>
                    <td>
                      {i === 0 && (
                        <>
                          <a class="mono" href={`/console/tenants/${tenant.appid}`}>
                            {tenant.appid}
                          </a>
                          {tenant.nickName && <div class="muted">{tenant.nickName}</div>}
                        </>
                      )}
                    </td>
                    <td>{b ? <Badge value="blocked" label={b.code} /> : '—'}</td>
                    <td>{b?.message ?? ''}</td>
                    <td class="muted">{b?.fix ?? ''}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          {blocked.length > BLOCKED_LISTED && <p class="muted">{t('moreBlocked', { n: blocked.length - BLOCKED_LISTED })}</p>}
        </>
      )}
    </div>
  );
}
