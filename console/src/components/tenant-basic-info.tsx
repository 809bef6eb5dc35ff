/**
 * A tenant's name, avatar, introduction and service categories at WeChat (issue #18), on one card:
 * what is set now (the tenant, and the basic info its last readiness check read), a rename WeChat
 * reviews with its state and, once rejected, WeChat's reason; a form that changes the name, the
 * introduction and the avatar (with a business licence for a name WeChat reviews); the categories
 * with their review state and reason, a remove button each, and an add form fed by WeChat's
 * catalogue, with a file input for each document a sensitive category needs.
 */
import { useState } from 'preact/hooks';
import type { TenantView } from '../../../shared/contract/operator-api';
import { ApiError, getJson, sendJson } from '../api';
import { defineMessages, useT } from '../i18n';
import { fileToDataUrl, type AvailableCategory, type BasicInfoResult, type CategoriesView } from '../onboarding-api';
import { ActionButton, Badge, ErrorBox, Show, useLoad, usePoll } from './common';
import { Time } from './deployment-parts';

const messages = defineMessages({
  zh: {
    title: '基本信息与服务类目',
    name: '名称',
    avatar: '头像',
    introduction: '简介',
    notSet: '未设置',
    missing: '缺少：{fields}',
    nickname: '名称',
    introductionField: '简介',
    registration: '注册记录',
    audit: '改名审核',
    auditLine: '改名为“{name}”',
    audit_in_review: '微信审核中',
    audit_approved: '已通过',
    audit_rejected: '被驳回',
    reason: '原因',
    change: '修改基本信息',
    newName: '新名称',
    newIntro: '新简介（4–120 个字）',
    newAvatar: '新头像（PNG、JPEG、GIF 或 BMP，不超过 300 KB）',
    license: '营业执照（名称含“中国”“官方”等保护词时需要，微信会审核名称）',
    save: '提交到微信',
    saving: '提交中…',
    nothing: '请填写名称、简介或选择头像。',
    applied_set: '已设置',
    applied_in_review: '已提交审核',
    part_avatar: '头像',
    part_signature: '简介',
    part_nickName: '名称',
    categories: '服务类目',
    limits: '最多 {limit} 个，本月还可添加 {quota} 次',
    noCategories: '还没有服务类目。',
    category: '类目',
    ids: 'ID',
    state: '状态',
    approved: '已通过',
    in_review: '审核中',
    rejected: '被驳回',
    remove: '删除',
    removeConfirm: '从小程序删除类目“{name}”？',
    add: '添加类目',
    choose: '选择类目…',
    needsReview: '需审核',
    documents: '需要的资质',
    addButton: '添加',
    adding: '添加中…',
    missingDoc: '请为“{name}”选择图片。',
  },
  en: {
    title: 'Basic info & categories',
    name: 'Name',
    avatar: 'Avatar',
    introduction: 'Introduction',
    notSet: 'not set',
    missing: 'missing: {fields}',
    nickname: 'name',
    introductionField: 'introduction',
    registration: 'Registration',
    audit: 'Rename review',
    auditLine: 'rename to “{name}”',
    audit_in_review: 'in review at WeChat',
    audit_approved: 'approved',
    audit_rejected: 'rejected',
    reason: 'Reason',
    change: 'Change the basic info',
    newName: 'New name',
    newIntro: 'New introduction (4–120 characters)',
    newAvatar: 'New avatar (PNG, JPEG, GIF or BMP, at most 300 KB)',
    license: 'Business licence (for a name with a protected keyword such as 中国 or 官方: WeChat reviews it)',
    save: 'Send to WeChat',
    saving: 'Sending…',
    nothing: 'Give a name, an introduction or an avatar.',
    applied_set: 'set',
    applied_in_review: 'submitted for review',
    part_avatar: 'avatar',
    part_signature: 'introduction',
    part_nickName: 'name',
    categories: 'Service categories',
    limits: 'at most {limit}; {quota} adds left this month',
    noCategories: 'No service category yet.',
    category: 'Category',
    ids: 'IDs',
    state: 'State',
    approved: 'approved',
    in_review: 'in review',
    rejected: 'rejected',
    remove: 'Remove',
    removeConfirm: 'Remove the category “{name}” from the mini-program?',
    add: 'Add a category',
    choose: 'Choose a category…',
    needsReview: 'needs review',
    documents: 'Documents needed',
    addButton: 'Add',
    adding: 'Adding…',
    missingDoc: 'Choose an image for “{name}”.',
  },
});

type Key = keyof (typeof messages)['zh'];
type T = (key: Key, values?: Record<string, string | number>) => string;

const STATE_TONE = { approved: 'approved', in_review: 'auditing', rejected: 'rejected' } as const;
const toError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(0, 'error', e instanceof Error ? e.message : String(e)));

export function BasicInfoCard({ tenant, onChanged }: { tenant: TenantView; onChanged: () => void }) {
  const t = useT(messages);
  // A rename under WeChat's review ends with a push: read the tenant again every few seconds meanwhile.
  usePoll(onChanged, 5000, tenant.nicknameAudit?.state === 'in_review');
  return (
    <div class="card profile-card" data-testid="basic-info-card">
      <h2>{t('title')}</h2>
      <CurrentBasicInfo tenant={tenant} t={t} />
      <BasicInfoForm appid={tenant.appid} t={t} onChanged={onChanged} />
      <Categories appid={tenant.appid} t={t} onChanged={onChanged} />
    </div>
  );
}

function CurrentBasicInfo({ tenant, t }: { tenant: TenantView; t: T }) {
  const basic = tenant.readiness?.basicInfo;
  const audit = tenant.nicknameAudit;
  const name = tenant.nickName || basic?.nickName;
  const avatar = tenant.headImg || basic?.headImage;
  const fieldName = { nickname: t('nickname'), avatar: t('avatar'), introduction: t('introductionField') };
  return (
    <>
      <dl class="facts" data-testid="basic-info">
        <dt>{t('name')}</dt>
        <dd data-testid="basic-info-name">{name || <span class="muted">{t('notSet')}</span>}</dd>
        <dt>{t('avatar')}</dt>
        <dd>{avatar ? <img class="profile-avatar" data-testid="basic-info-avatar" src={avatar} alt="" width={48} height={48} referrerpolicy="no-referrer" /> : <span class="muted">{t('notSet')}</span>}</dd>
        <dt>{t('introduction')}</dt>
        <dd data-testid="basic-info-signature">{basic?.signature || <span class="muted">{t('notSet')}</span>}</dd>
        {basic && !basic.complete && (
          <>
            <dt />
            <dd>
              <Badge value="blocked" label={t('missing', { fields: basic.missing.map((m) => fieldName[m]).join(', ') })} />
            </dd>
          </>
        )}
        {audit && (
          <>
            <dt>{t('audit')}</dt>
            <dd data-testid="nickname-audit" data-state={audit.state}>
              {t('auditLine', { name: audit.nickname })} <Badge value={STATE_TONE[audit.state]} label={t(`audit_${audit.state}`)} />{' '}
              <span class="muted">
                <Time iso={audit.at} />
              </span>
              {audit.reason && (
                <div class={audit.state === 'rejected' ? 'error-text' : 'muted'} data-testid="nickname-audit-reason">
                  {t('reason')}: {audit.reason}
                </div>
              )}
            </dd>
          </>
        )}
        {tenant.registrationId && (
          <>
            <dt>{t('registration')}</dt>
            <dd>
              <a class="mono" href={`/console/registrations#${tenant.registrationId}`}>
                {tenant.registrationId}
              </a>
            </dd>
          </>
        )}
      </dl>
    </>
  );
}

function BasicInfoForm({ appid, t, onChanged }: { appid: string; t: T; onChanged: () => void }) {
  const [nickName, setNickName] = useState('');
  const [signature, setSignature] = useState('');
  const [avatar, setAvatar] = useState<File>();
  const [license, setLicense] = useState<File>();
  const [fileKey, setFileKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [result, setResult] = useState<BasicInfoResult>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    setResult(undefined);
    if (!nickName.trim() && !signature.trim() && !avatar) return setError(new ApiError(0, 'nothing_to_change', t('nothing')));
    setBusy(true);
    try {
      const body: Record<string, unknown> = {};
      if (nickName.trim()) body.nickName = nickName.trim();
      if (signature.trim()) body.signature = signature.trim();
      if (avatar) body.avatar = await fileToDataUrl(avatar);
      if (license && nickName.trim()) body.nicknameMaterials = { license: await fileToDataUrl(license) };
      setResult(await sendJson<BasicInfoResult>('PUT', `/api/tenants/${appid}/basic-info`, body));
      setNickName('');
      setSignature('');
      setAvatar(undefined);
      setLicense(undefined);
      setFileKey((n) => n + 1);
      onChanged();
    } catch (e) {
      setError(toError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="profile-form" data-testid="basic-info-form" onSubmit={(e) => void submit(e)}>
      <h3>{t('change')}</h3>
      <div class="nd-row">
        <label class="nd-grow">
          {t('newName')}
          <input type="text" name="nickName" data-testid="basic-info-nickname" maxLength={30} value={nickName} onInput={(e) => setNickName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="nd-grow">
          {t('newIntro')}
          <input type="text" name="signature" data-testid="basic-info-intro" maxLength={120} value={signature} onInput={(e) => setSignature((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <div class="nd-row">
        <label class="nd-grow">
          {t('newAvatar')}
          <input key={`avatar-${fileKey}`} type="file" accept="image/png,image/jpeg,image/gif,image/bmp" data-testid="basic-info-avatar-file" onChange={(e) => setAvatar((e.target as HTMLInputElement).files?.[0])} />
        </label>
        <label class="nd-grow">
          {t('license')}
          <input key={`license-${fileKey}`} type="file" accept="image/png,image/jpeg,image/gif,image/bmp" data-testid="basic-info-license-file" onChange={(e) => setLicense((e.target as HTMLInputElement).files?.[0])} />
        </label>
      </div>
      <div data-testid="basic-info-error">
        <ErrorBox error={error} />
      </div>
      {result && (
        <div class="ok-box" role="status" data-testid="basic-info-applied">
          {(['avatar', 'signature', 'nickName'] as const)
            .filter((part) => result.applied[part])
            .map((part) => `${t(`part_${part}`)}: ${t(`applied_${result.applied[part]!}`)}`)
            .join(' · ')}
        </div>
      )}
      <button type="submit" data-testid="basic-info-save" disabled={busy}>
        {busy ? t('saving') : t('save')}
      </button>
    </form>
  );
}

function Categories({ appid, t, onChanged }: { appid: string; t: T; onChanged: () => void }) {
  const [loaded, reload] = useLoad(() => getJson<CategoriesView>(`/api/tenants/${appid}/categories?catalogue=true`), [appid]);
  // A category under review changes when WeChat decides: look again every few seconds meanwhile.
  usePoll(reload, 5000, loaded.state === 'ready' && loaded.value.categories.some((c) => c.state === 'in_review'));
  const changed = () => {
    reload();
    onChanged();
  };
  return (
    <div class="profile-categories" data-testid="categories">
      <h3>{t('categories')}</h3>
      <Show loaded={loaded}>
        {(view) => (
          <>
            {view.limit !== undefined && view.quota !== undefined && <p class="muted">{t('limits', { limit: view.limit, quota: view.quota })}</p>}
            {view.categories.length === 0 ? (
              <p class="muted">{t('noCategories')}</p>
            ) : (
              <table class="grid" data-testid="categories-table">
                <thead>
                  <tr>
                    <th>{t('category')}</th>
                    <th>{t('ids')}</th>
                    <th>{t('state')}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {view.categories.map((c) => (
                    <tr data-category={`${c.first}:${c.second}`} data-state={c.state}>
                      <td>
                        {c.firstName} &gt; {c.secondName}
                        {c.reason && (
                          <div class="error-text" data-testid="category-reason">
                            {t('reason')}: {c.reason}
                          </div>
                        )}
                      </td>
                      <td class="mono">
                        {c.first}:{c.second}
                      </td>
                      <td>
                        <Badge value={STATE_TONE[c.state]} label={t(c.state)} />
                      </td>
                      <td>
                        {c.state !== 'in_review' && (
                          <ActionButton
                            label={t('remove')}
                            danger
                            testid={`category-remove-${c.first}-${c.second}`}
                            confirmText={t('removeConfirm', { name: `${c.firstName} > ${c.secondName}` })}
                            run={() => sendJson('DELETE', `/api/tenants/${appid}/categories?first=${c.first}&second=${c.second}`)}
                            onDone={changed}
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <AddCategory appid={appid} view={view} t={t} onAdded={changed} />
          </>
        )}
      </Show>
    </div>
  );
}

function AddCategory({ appid, view, t, onAdded }: { appid: string; view: CategoriesView; t: T; onAdded: () => void }) {
  const [chosen, setChosen] = useState('');
  const [docs, setDocs] = useState<Record<string, File | undefined>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  // Approved or under review already: not offered again (a rejected one may be added again).
  const taken = new Set(view.categories.filter((c) => c.state !== 'rejected').map((c) => `${c.first}:${c.second}`));
  const offered = (view.available ?? []).filter((c) => !taken.has(`${c.first}:${c.second}`));
  const category: AvailableCategory | undefined = offered.find((c) => `${c.first}:${c.second}` === chosen);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!category) return;
    setError(undefined);
    const missing = category.needsReview ? category.qualifications.find((name) => !docs[name]) : undefined;
    if (missing !== undefined) return setError(new ApiError(0, 'qualifications_missing', t('missingDoc', { name: missing })));
    setBusy(true);
    try {
      const qualifications = [];
      for (const name of category.qualifications) {
        const file = docs[name];
        if (file) qualifications.push({ name, image: await fileToDataUrl(file) });
      }
      await sendJson<CategoriesView>('POST', `/api/tenants/${appid}/categories`, {
        categories: [{ first: category.first, second: category.second, ...(qualifications.length ? { qualifications } : {}) }],
      });
      setChosen('');
      setDocs({});
      onAdded();
    } catch (e) {
      setError(toError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="profile-add-category" data-testid="category-add-form" onSubmit={(e) => void submit(e)}>
      <div class="toolbar">
        <label class="inline">
          {t('add')}
          <select
            data-testid="category-select"
            value={chosen}
            onChange={(e) => {
              setChosen((e.target as HTMLSelectElement).value);
              setDocs({});
              setError(undefined);
            }}
          >
            <option value="">{t('choose')}</option>
            {offered.map((c) => (
              <option value={`${c.first}:${c.second}`}>
                {c.firstName} &gt; {c.secondName} ({c.first}:{c.second}){c.needsReview ? ` · ${t('needsReview')}` : ''}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="category-add" disabled={busy || !category}>
          {busy ? t('adding') : t('addButton')}
        </button>
      </div>
      {category && category.qualifications.length > 0 && (
        <fieldset class="nd-fieldset">
          <legend>{t('documents')}</legend>
          {category.qualifications.map((name, i) => (
            <label class="nd-grow">
              {name}
              <input type="file" accept="image/png,image/jpeg,image/gif,image/bmp" data-testid={`category-doc-${i}`} onChange={(e) => setDocs({ ...docs, [name]: (e.target as HTMLInputElement).files?.[0] })} />
            </label>
          ))}
        </fieldset>
      )}
      <div data-testid="category-error">
        <ErrorBox error={error} />
      </div>
    </form>
  );
}
