/**
 * Merchants without a mini-program (/console/registrations, issue #18): a form that registers one
 * for them (fast registration: an enterprise, a person or a trial mini-program, each with the
 * fields WeChat needs), optionally with what mpfleet applies once it exists (name, avatar,
 * introduction, categories); and every registration with its live status (polled while anything
 * moves), its onboarding steps with their messages, what comes next, a retry for failed steps, a
 * query to WeChat for one nobody confirmed yet, and a link to the tenant once it is created.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, sendJson } from '../api';
import { ActionButton, Badge, ErrorBox, Show, useLoad, usePoll } from '../components/common';
import { Time } from '../components/deployment-parts';
import { defineMessages, useT } from '../i18n';
import { fileToDataUrl, parseCategoryList, subjectOf, type OnboardingState, type OnboardingStepView, type RegistrationKind, type RegistrationView, type StepState } from '../onboarding-api';

const messages = defineMessages({
  zh: {
    title: '新商家注册',
    intro: '为还没有小程序的商家快速注册一个（快速注册小程序）。微信会请法人（企业）、本人（个人）或创建者（试用小程序）在 24 小时内确认；确认后新小程序自动成为 mpfleet 的小程序，并按下方“开通设置”设置名称、头像、简介和服务类目。',
    form: '注册小程序',
    kind: '类型',
    enterprise: '企业',
    personal: '个人',
    trial: '试用小程序',
    enterpriseHint: '法人在微信中刷脸确认。',
    personalHint: '本人通过微信给出的链接确认。',
    trialHint: '创建者通过链接确认；名称为“<名称>的体验小程序”，之后可转为正式小程序。',
    companyName: '企业名称',
    code: '企业代码',
    codeType: '代码类型',
    codeType1: '统一社会信用代码（18 位）',
    codeType2: '组织机构代码',
    codeType3: '营业执照注册号（15 位）',
    legalWechat: '法人微信号',
    legalName: '法人姓名',
    phone: '第三方联系电话（可选）',
    idname: '姓名',
    wxuser: '微信号',
    trialName: '小程序名称',
    openid: '创建者 openid',
    onboarding: '开通设置（可选，小程序创建后自动设置）',
    nickname: '小程序名称',
    nicknameHint: '含“中国”“官方”等保护词的名称需要资质并经微信审核：创建后在小程序页面设置。',
    avatar: '头像（PNG、JPEG、GIF 或 BMP，不超过 300 KB）',
    signature: '简介（4–120 个字）',
    categories: '服务类目（一级ID:二级ID，多个用逗号分隔）',
    categoriesHint: '例如 220:688（餐饮服务 > 点餐平台）。需要资质的类目请在创建后到小程序页面添加。',
    badCategory: '“{item}”不是 一级ID:二级ID 的格式',
    submit: '提交注册',
    submitting: '提交中…',
    created: '已提交注册 {id}：等待确认。',
    list: '注册记录',
    empty: '还没有注册记录。',
    live: '每 {s} 秒自动刷新',
    awaiting_confirmation: '等待确认',
    createdStatus: '已创建',
    failed: '失败',
    appid: 'AppID',
    openTenant: '打开小程序页面',
    wechat: '微信结果',
    confirmAt: '确认链接',
    createdAt: '提交时间',
    onboardingTitle: '开通进度',
    noOnboarding: '没有开通设置。',
    waiting_for_mini_program: '等待小程序创建',
    running: '进行中',
    in_review: '微信审核中',
    done: '完成',
    needs_attention: '需要处理',
    step_pending: '待执行',
    step_running: '进行中',
    step_done: '完成',
    step_in_review: '审核中',
    step_failed: '失败',
    step_skipped: '跳过',
    config: '配置（ext_json 片段）',
    avatarStep: '头像',
    signatureStep: '简介',
    nickNameStep: '名称',
    categoriesStep: '服务类目',
    privacyStep: '用户隐私保护指引',
    next: '下一步',
    retry: '重试失败的步骤',
    search: '向微信查询',
    atWeChat: '微信：{text}',
  },
  en: {
    title: 'New merchants',
    intro: "Register a mini-program for a merchant who has none (fast registration). WeChat asks the legal representative (enterprise), the person (personal) or the founder (trial) to confirm within 24 hours; the new mini-program then becomes an mpfleet tenant by itself, and gets the name, avatar, introduction and categories of the onboarding below.",
    form: 'Register a mini-program',
    kind: 'Kind',
    enterprise: 'Enterprise',
    personal: 'Personal',
    trial: 'Trial',
    enterpriseHint: 'The legal representative confirms in WeChat with face verification.',
    personalHint: 'The person confirms at the link WeChat gives.',
    trialHint: 'The founder confirms at the link; it is named "<name>的体验小程序" and can become a formal mini-program later.',
    companyName: 'Company name',
    code: 'Company code',
    codeType: 'Code type',
    codeType1: 'Unified social credit code (18 characters)',
    codeType2: 'Organisation code',
    codeType3: 'Business licence number (15 digits)',
    legalWechat: "Legal representative's WeChat ID",
    legalName: "Legal representative's name",
    phone: 'Platform contact phone (optional)',
    idname: 'Real name',
    wxuser: 'WeChat ID',
    trialName: 'Mini-program name',
    openid: "Founder's openid",
    onboarding: 'Onboarding (optional, applied once the mini-program exists)',
    nickname: 'Mini-program name',
    nicknameHint: 'A name with a protected keyword (中国, 官方…) needs proof and WeChat\'s review: set it on the tenant page once it exists.',
    avatar: 'Avatar (PNG, JPEG, GIF or BMP, at most 300 KB)',
    signature: 'Introduction (4–120 characters)',
    categories: 'Service categories (first:second ids, separated by commas)',
    categoriesHint: 'E.g. 220:688 (餐饮服务 > 点餐平台). Categories needing documents: add them on the tenant page once it exists.',
    badCategory: '"{item}" is not first:second (two category ids)',
    submit: 'Register',
    submitting: 'Registering…',
    created: 'Registration {id} submitted: waiting for the confirmation.',
    list: 'Registrations',
    empty: 'No registration yet.',
    live: 'refreshed every {s} s',
    awaiting_confirmation: 'awaiting confirmation',
    createdStatus: 'created',
    failed: 'failed',
    appid: 'AppID',
    openTenant: 'Open the tenant',
    wechat: "WeChat's result",
    confirmAt: 'Confirmation link',
    createdAt: 'Submitted',
    onboardingTitle: 'Onboarding',
    noOnboarding: 'No onboarding.',
    waiting_for_mini_program: 'waiting for the mini-program',
    running: 'running',
    in_review: 'in review at WeChat',
    done: 'done',
    needs_attention: 'needs attention',
    step_pending: 'pending',
    step_running: 'running',
    step_done: 'done',
    step_in_review: 'in review',
    step_failed: 'failed',
    step_skipped: 'skipped',
    config: 'configuration (ext_json fragment)',
    avatarStep: 'avatar',
    signatureStep: 'introduction',
    nickNameStep: 'name',
    categoriesStep: 'service categories',
    privacyStep: 'privacy guide',
    next: 'Next',
    retry: 'Retry the failed steps',
    search: 'Ask WeChat',
    atWeChat: 'WeChat: {text}',
  },
});

type Key = keyof (typeof messages)['zh'];
type T = (key: Key, values?: Record<string, string | number>) => string;

const POLL_MS = 3000;

/** The badge tone (common.tsx's STATE_TONES) for each state shown here. */
const STATUS_TONE: Record<RegistrationView['status'], string> = { awaiting_confirmation: 'waiting', created: 'active', failed: 'failed' };
const ONBOARDING_TONE: Record<OnboardingState, string> = { waiting_for_mini_program: 'queued', running: 'running', in_review: 'auditing', done: 'completed', needs_attention: 'blocked' };
const STEP_TONE: Record<StepState, string> = { pending: 'queued', running: 'running', in_review: 'auditing', done: 'completed', failed: 'failed', skipped: 'skipped' };
const STEP_TITLE: Record<string, Key> = { config: 'config', avatar: 'avatarStep', signature: 'signatureStep', nickName: 'nickNameStep', categories: 'categoriesStep', privacy: 'privacyStep' };

/** Something may still change by itself: WeChat's confirmation, an onboarding step, a review. */
const moving = (r: RegistrationView) => r.status === 'awaiting_confirmation' || (r.status === 'created' && ['waiting_for_mini_program', 'running', 'in_review'].includes(r.onboarding?.state ?? ''));

export function RegistrationsPage() {
  const t = useT(messages);
  const [list, reload] = useLoad(() => getJson<{ registrations: RegistrationView[] }>('/api/registrations'), []);
  const live = list.state === 'ready' && list.value.registrations.some(moving);
  usePoll(reload, POLL_MS, live);
  const [created, setCreated] = useState<string>();
  // A tenant page links here as /console/registrations#<id>: bring that registration into view once listed.
  const ready = list.state === 'ready';
  useEffect(() => {
    const id = decodeURIComponent(window.location.hash.slice(1));
    if (ready && id) document.getElementById(id)?.scrollIntoView({ block: 'start' });
  }, [ready]);
  return (
    <section class="registrations-page">
      <h1>{t('title')}</h1>
      <p class="muted">{t('intro')}</p>
      <RegistrationForm
        t={t}
        onCreated={(registration) => {
          setCreated(registration.id);
          reload();
        }}
      />
      {created && (
        <div class="ok-box" role="status" data-testid="registration-submitted">
          {t('created', { id: created })}
        </div>
      )}
      <div class="toolbar">
        <h2>{t('list')}</h2>
        {live && <span class="muted">{t('live', { s: POLL_MS / 1000 })}</span>}
      </div>
      <Show loaded={list}>
        {(value) =>
          value.registrations.length === 0 ? (
            <p class="muted">{t('empty')}</p>
          ) : (
            <div class="reg-list" data-testid="registrations">
              {value.registrations.map((registration) => (
                <RegistrationCard key={registration.id} registration={registration} t={t} onChanged={reload} />
              ))}
            </div>
          )
        }
      </Show>
    </section>
  );
}

function RegistrationCard({ registration: r, t, onChanged }: { registration: RegistrationView; t: T; onChanged: () => void }) {
  const [atWeChat, setAtWeChat] = useState<string>();
  const onboarding = r.onboarding;
  return (
    <div class="card reg-card" id={r.id} data-testid={`registration-${r.id}`} data-status={r.status} data-onboarding={onboarding?.state ?? 'none'}>
      <div class="toolbar">
        <b>{subjectOf(r)}</b>
        <code class="tag">{t(r.kind)}</code>
        <span data-testid="registration-status">
          <Badge value={STATUS_TONE[r.status]} label={t(r.status === 'created' ? 'createdStatus' : r.status)} />
        </span>
        <span class="spacer" />
        <span class="mono muted">{r.id}</span>
      </div>
      <dl class="facts">
        {r.appid && (
          <>
            <dt>{t('appid')}</dt>
            <dd>
              <a class="mono" href={`/console/tenants/${r.appid}`} data-testid="registration-tenant">
                {r.appid}
              </a>{' '}
              <a href={`/console/tenants/${r.appid}`}>{t('openTenant')} →</a>
            </dd>
          </>
        )}
        {r.wechat && (
          <>
            <dt>{t('wechat')}</dt>
            <dd>
              <code>{r.wechat.status}</code> {r.wechat.msg}
            </dd>
          </>
        )}
        {r.status === 'awaiting_confirmation' && r.authorizeUrl && (
          <>
            <dt>{t('confirmAt')}</dt>
            <dd>
              <a href={r.authorizeUrl} target="_blank" rel="noreferrer" class="mono">
                {r.authorizeUrl}
              </a>
            </dd>
          </>
        )}
        <dt>{t('createdAt')}</dt>
        <dd>
          <Time iso={r.createdAt} />
        </dd>
      </dl>
      <div class="reg-onboarding">
        <div class="toolbar tight">
          <b>{t('onboardingTitle')}</b>
          {onboarding?.state && (
            <span data-testid="registration-onboarding">
              <Badge value={ONBOARDING_TONE[onboarding.state]} label={t(onboarding.state)} />
            </span>
          )}
        </div>
        {onboarding ? (
          <ol class="reg-steps" data-testid="registration-steps">
            {onboarding.steps.map((step) => (
              <StepLine step={step} t={t} />
            ))}
          </ol>
        ) : (
          <p class="muted">{t('noOnboarding')}</p>
        )}
      </div>
      <p class="reg-next" data-testid="registration-next">
        <b>{t('next')}:</b> {r.next}
      </p>
      {atWeChat && (
        <div class="info-box" role="status" data-testid="registration-at-wechat">
          {t('atWeChat', { text: atWeChat })}
        </div>
      )}
      <div class="toolbar">
        {onboarding?.state === 'needs_attention' && (
          <ActionButton label={t('retry')} testid="registration-retry" run={() => sendJson('POST', `/api/registrations/${r.id}/onboarding/retry`, {})} onDone={onChanged} />
        )}
        {r.status === 'awaiting_confirmation' && r.kind !== 'trial' && (
          <ActionButton
            label={t('search')}
            testid="registration-search"
            run={async () => setAtWeChat((await sendJson<{ atWeChat: string }>('POST', `/api/registrations/${r.id}/search`, {})).atWeChat)}
            onDone={onChanged}
          />
        )}
      </div>
    </div>
  );
}

function StepLine({ step, t }: { step: OnboardingStepView; t: T }) {
  const title = STEP_TITLE[step.step] ? t(STEP_TITLE[step.step]!) : step.title;
  return (
    <li data-step={step.step} data-state={step.state} data-at={step.at}>
      <Badge value={STEP_TONE[step.state] ?? step.state} label={t(`step_${step.state}` as Key)} /> {title}
      {step.at && (
        <span class="muted">
          {' '}
          · <Time iso={step.at} />
        </span>
      )}
      {step.message && <div class={step.state === 'failed' ? 'reg-step-message error-text' : 'reg-step-message muted'}>{step.message}</div>}
    </li>
  );
}

const EMPTY = { name: '', code: '', code_type: '1', legal_persona_wechat: '', legal_persona_name: '', component_phone: '', idname: '', wxuser: '', openid: '', nickName: '', signature: '', categories: '' };
type Field = keyof typeof EMPTY;

function RegistrationForm({ t, onCreated }: { t: T; onCreated: (registration: RegistrationView) => void }) {
  const [kind, setKind] = useState<RegistrationKind>('enterprise');
  const [values, setValues] = useState(EMPTY);
  const [avatar, setAvatar] = useState<File>();
  // Remounts the file input after a registration: a file input cannot be cleared by its value.
  const [fileKey, setFileKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const input = (field: Field, label: string, props: Record<string, unknown> = {}) => (
    <label class="nd-grow">
      {label}
      <input type="text" name={field} data-testid={`reg-${field}`} value={values[field]} onInput={(e) => setValues({ ...values, [field]: (e.target as HTMLInputElement).value })} {...props} />
    </label>
  );

  const body = async (): Promise<Record<string, unknown>> => {
    const v = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value.trim()])) as typeof EMPTY;
    const phone = v.component_phone ? { component_phone: v.component_phone } : {};
    const request =
      kind === 'enterprise'
        ? { kind, name: v.name, code: v.code, code_type: Number(v.code_type), legal_persona_wechat: v.legal_persona_wechat, legal_persona_name: v.legal_persona_name, ...phone }
        : kind === 'personal'
          ? { kind, idname: v.idname, wxuser: v.wxuser, ...phone }
          : { kind, name: v.name, openid: v.openid };
    const onboarding: Record<string, unknown> = {};
    if (v.nickName && kind !== 'trial') onboarding.nickName = v.nickName;
    if (v.signature) onboarding.signature = v.signature;
    if (avatar) onboarding.avatar = await fileToDataUrl(avatar);
    if (v.categories) {
      const parsed = parseCategoryList(v.categories);
      if ('error' in parsed) throw new ApiError(0, 'invalid_category', t('badCategory', { item: parsed.error }));
      if (parsed.categories.length) onboarding.categories = parsed.categories;
    }
    return Object.keys(onboarding).length ? { ...request, onboarding } : request;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await sendJson<RegistrationView>('POST', '/api/registrations', await body()));
      setValues(EMPTY);
      setAvatar(undefined);
      setFileKey((n) => n + 1);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', e instanceof Error ? e.message : String(e)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card reg-form" data-testid="registration-form" onSubmit={(e) => void submit(e)}>
      <h2>{t('form')}</h2>
      <fieldset class="nd-fieldset">
        <legend>{t('kind')}</legend>
        <div class="nd-modes">
          {(['enterprise', 'personal', 'trial'] as const).map((k) => (
            <label class="inline">
              <input type="radio" name="kind" value={k} data-testid={`reg-kind-${k}`} checked={kind === k} onChange={() => setKind(k)} />
              {t(k)}
            </label>
          ))}
        </div>
        <p class="muted">{t(`${kind}Hint`)}</p>
      </fieldset>
      {kind === 'enterprise' && (
        <>
          <div class="nd-row">
            {input('name', t('companyName'), { maxLength: 100 })}
            {input('code', t('code'), { maxLength: 32 })}
            <label>
              {t('codeType')}
              <select name="code_type" data-testid="reg-code_type" value={values.code_type} onChange={(e) => setValues({ ...values, code_type: (e.target as HTMLSelectElement).value })}>
                <option value="1">{t('codeType1')}</option>
                <option value="2">{t('codeType2')}</option>
                <option value="3">{t('codeType3')}</option>
              </select>
            </label>
          </div>
          <div class="nd-row">
            {input('legal_persona_wechat', t('legalWechat'), { maxLength: 64 })}
            {input('legal_persona_name', t('legalName'), { maxLength: 64 })}
            {input('component_phone', t('phone'), { maxLength: 32 })}
          </div>
        </>
      )}
      {kind === 'personal' && (
        <div class="nd-row">
          {input('idname', t('idname'), { maxLength: 64 })}
          {input('wxuser', t('wxuser'), { maxLength: 64 })}
          {input('component_phone', t('phone'), { maxLength: 32 })}
        </div>
      )}
      {kind === 'trial' && (
        <div class="nd-row">
          {input('name', t('trialName'), { maxLength: 30 })}
          {input('openid', t('openid'), { maxLength: 64 })}
        </div>
      )}
      <fieldset class="nd-fieldset">
        <legend>{t('onboarding')}</legend>
        <div class="nd-row">
          {kind !== 'trial' && input('nickName', t('nickname'), { maxLength: 30, 'aria-describedby': 'reg-nickname-hint' })}
          {input('signature', t('signature'), { maxLength: 120 })}
        </div>
        {kind !== 'trial' && (
          <p class="muted" id="reg-nickname-hint">
            {t('nicknameHint')}
          </p>
        )}
        <div class="nd-row">
          <label class="nd-grow">
            {t('avatar')}
            <input key={fileKey} type="file" name="avatar" accept="image/png,image/jpeg,image/gif,image/bmp" data-testid="reg-avatar" onChange={(e) => setAvatar((e.target as HTMLInputElement).files?.[0])} />
          </label>
          {input('categories', t('categories'), { placeholder: '220:688, 287:612', 'aria-describedby': 'reg-categories-hint' })}
        </div>
        <p class="muted" id="reg-categories-hint">
          {t('categoriesHint')}
        </p>
      </fieldset>
      <div data-testid="registration-error">
        <ErrorBox error={error} />
      </div>
      <button type="submit" class="primary" data-testid="registration-submit" disabled={busy}>
        {busy ? t('submitting') : t('submit')}
      </button>
    </form>
  );
}
