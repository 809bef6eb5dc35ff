/**
 * The template library: its templates (each deletable, after a confirmation), the drafts WeChat
 * holds (each added to the library with a button), and every template's release profile, edited
 * as JSON and validated by the API (docs/release-gates.md explains every field).
 */
import { useState } from 'preact/hooks';
import type { AddTemplateResult, DraftList, ReleaseProfileView, Template, TemplateList, TemplateType } from '../../../shared/contract/operator-api';
import { ApiError, getJson, sendJson } from '../api';
import { ActionButton, ErrorBox, Show, useLoad } from '../components/common';
import { JsonEditor, pretty } from '../components/tenant-json-editor';
import { formatTime } from '../components/tenant-readiness';
import { defineMessages, useLang, useT } from '../i18n';

const messages = defineMessages({
  zh: {
    title: '模板',
    library: '模板库',
    emptyLibrary: '模板库是空的：把下面的草稿加入模板库。',
    id: '模板 ID',
    version: '版本',
    description: '描述',
    created: '创建时间',
    type: '类型',
    normal: '普通模板',
    standard: '标准模板',
    source: '来源小程序',
    profileCol: '发布配置',
    editProfile: '编辑',
    delete: '删除',
    confirmDelete: '从微信的模板库删除模板 {id}（{version}）？已发布的小程序不受影响，但之后不能再用它发布。',
    drafts: '草稿箱',
    draftsHint: '开发者用微信开发者工具上传的代码，先进入草稿箱；加入模板库后才能发布。',
    noDrafts: '草稿箱是空的。',
    draftId: '草稿 ID',
    addAs: '加入为',
    add: '加入模板库',
    adding: '加入中…',
    added: '草稿 {draft} 已加入模板库：模板 {id}。',
    pending: '草稿 {draft}：{message}',
    profiles: '发布配置',
    profilesHint: '每个模板的发布配置：为没有隐私保护指引的小程序设置的指引（privacy，可用 {{config.ext.…}} 等占位符）、小程序类目到审核项的对应（auditItems）、代码调用的隐私接口（privacyApis）、服务器域名（domains）。每个字段的含义与完整示例见仓库中的 docs/release-gates.md。',
    profileOf: '模板 {id} · {version} · {desc}',
    profileLabel: '模板 {id} 的发布配置 JSON',
    notSaved: '还没有发布配置；下面是一个示例骨架，修改后保存。',
    updatedAt: '保存于 {time}',
  },
  en: {
    title: 'Templates',
    library: 'Template library',
    emptyLibrary: 'The library is empty: add one of the drafts below.',
    id: 'Template ID',
    version: 'Version',
    description: 'Description',
    created: 'Created',
    type: 'Type',
    normal: 'normal',
    standard: 'standard',
    source: 'Source mini-program',
    profileCol: 'Release profile',
    editProfile: 'Edit',
    delete: 'Delete',
    confirmDelete: "Delete template {id} ({version}) from WeChat's library? Released mini-programs keep it, but no deployment can use it afterwards.",
    drafts: 'Drafts',
    draftsHint: 'Code uploaded with WeChat DevTools lands in the draft box; a draft is deployable once it is in the library.',
    noDrafts: 'The draft box is empty.',
    draftId: 'Draft ID',
    addAs: 'Add as',
    add: 'Add to library',
    adding: 'Adding…',
    added: 'Draft {draft} is in the library: template {id}.',
    pending: 'Draft {draft}: {message}',
    profiles: 'Release profiles',
    profilesHint:
      "Each template's release profile: the privacy guide applied to mini-programs without one (privacy, with placeholders such as {{config.ext.…}}), how a mini-program's categories become audit items (auditItems), the privacy APIs the code calls (privacyApis), the server domains (domains). Every field, with a full example, is in the repository's docs/release-gates.md.",
    profileOf: 'Template {id} · {version} · {desc}',
    profileLabel: 'Release profile JSON of template {id}',
    notSaved: 'No release profile yet: below is a short example to edit, then save.',
    updatedAt: 'Saved {time}',
  },
});

type T = ReturnType<typeof useT<keyof (typeof messages)['zh']>>;

/** A short example of a profile, for a template without one (docs/release-gates.md has the full one). */
const SKELETON = {
  privacy: {
    privacy_ver: 2,
    owner_setting: { contact_email: '{{config.ext.contactEmail}}', notice_method: '{{nickName}} 通过弹窗提示用户' },
    setting_list: [{ privacy_key: 'UserInfo', privacy_text: '展示会员信息' }],
  },
  privacyApis: [],
  auditItems: [{ address: 'pages/index/index', title: '首页' }],
};

export function TemplatesPage() {
  const t = useT(messages);
  const [library, reloadLibrary] = useLoad(() => getJson<TemplateList>('/api/templates'), []);
  return (
    <section class="templates-page">
      <h1>{t('title')}</h1>
      <h2>{t('library')}</h2>
      <Show loaded={library}>{(value) => <LibraryTable templates={value.templates} t={t} onChange={reloadLibrary} />}</Show>
      <Drafts t={t} onAdded={reloadLibrary} />
      <h2>{t('profiles')}</h2>
      <p class="muted">{t('profilesHint')}</p>
      <Show loaded={library}>
        {(value) => (
          <div class="cards profiles">
            {value.templates.map((template) => (
              <ProfileEditor key={template.templateId} template={template} t={t} />
            ))}
          </div>
        )}
      </Show>
    </section>
  );
}

function LibraryTable({ templates, t, onChange }: { templates: Template[]; t: T; onChange: () => void }) {
  const lang = useLang();
  if (templates.length === 0) return <p class="muted">{t('emptyLibrary')}</p>;
  return (
    <table class="grid" data-testid="template-library">
      <thead>
        <tr>
          <th>{t('id')}</th>
          <th>{t('version')}</th>
          <th>{t('description')}</th>
          <th>{t('created')}</th>
          <th>{t('type')}</th>
          <th>{t('profileCol')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {templates.map((template) => (
          <tr key={template.templateId} data-template={template.templateId}>
            <td class="mono">#{template.templateId}</td>
            <td class="mono">{template.userVersion}</td>
            <td>
              {template.userDesc}
              {template.sourceMiniprogramAppid && (
                <div class="muted mono" title={t('source')}>
                  {template.sourceMiniprogramAppid}
                </div>
              )}
            </td>
            <td>{formatTime(template.createdAt, lang)}</td>
            <td>{template.templateType === 1 ? t('standard') : t('normal')}</td>
            <td>
              <a href={`#profile-${template.templateId}`}>{t('editProfile')}</a>
            </td>
            <td data-testid={`delete-template-${template.templateId}`}>
              <ActionButton
                danger
                label={t('delete')}
                confirmText={t('confirmDelete', { id: template.templateId, version: template.userVersion })}
                run={() => sendJson('DELETE', `/api/templates/${template.templateId}`)}
                onDone={onChange}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Outcome = { kind: 'added'; templateId: number } | { kind: 'pending'; message: string };

function Drafts({ t, onAdded }: { t: T; onAdded: () => void }) {
  const lang = useLang();
  const [drafts] = useLoad(() => getJson<DraftList>('/api/templates/drafts'), []);
  const [types, setTypes] = useState<Record<number, TemplateType>>({});
  const [busy, setBusy] = useState<number>();
  const [outcome, setOutcome] = useState<Partial<Record<number, Outcome>>>({});
  const [errors, setErrors] = useState<Partial<Record<number, ApiError>>>({});
  const add = async (draftId: number) => {
    setBusy(draftId);
    setErrors({ ...errors, [draftId]: undefined });
    try {
      const templateType = types[draftId] ?? 0;
      const result = await sendJson<AddTemplateResult>('POST', '/api/templates', { draftId, templateType });
      if ('templateId' in result) {
        setOutcome({ ...outcome, [draftId]: { kind: 'added', templateId: result.templateId } });
        onAdded();
      } else {
        setOutcome({ ...outcome, [draftId]: { kind: 'pending', message: result.message } });
      }
    } catch (e) {
      setErrors({ ...errors, [draftId]: e instanceof ApiError ? e : new ApiError(0, 'error', String(e)) });
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <>
      <h2>{t('drafts')}</h2>
      <p class="muted">{t('draftsHint')}</p>
      <Show loaded={drafts}>
        {(value) =>
          value.drafts.length === 0 ? (
            <p class="muted">{t('noDrafts')}</p>
          ) : (
            <table class="grid" data-testid="drafts">
              <thead>
                <tr>
                  <th>{t('draftId')}</th>
                  <th>{t('version')}</th>
                  <th>{t('description')}</th>
                  <th>{t('created')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {value.drafts.map((draft) => (
                  <tr key={draft.draftId} data-draft={draft.draftId}>
                    <td class="mono">{draft.draftId}</td>
                    <td class="mono">{draft.userVersion}</td>
                    <td>
                      {draft.userDesc}
                      {draft.sourceMiniprogramAppid && (
                        <div class="muted mono" title={t('source')}>
                          {draft.sourceMiniprogramAppid}
                        </div>
                      )}
                    </td>
                    <td>{formatTime(draft.createdAt, lang)}</td>
                    <td>
                      <div class="toolbar tight">
                        <select
                          aria-label={t('addAs')}
                          title={t('addAs')}
                          value={String(types[draft.draftId] ?? 0)}
                          onChange={(e) => setTypes({ ...types, [draft.draftId]: Number((e.target as HTMLSelectElement).value) as TemplateType })}
                        >
                          <option value="0">{t('normal')}</option>
                          <option value="1">{t('standard')}</option>
                        </select>
                        <button type="button" data-testid={`add-draft-${draft.draftId}`} disabled={busy === draft.draftId} onClick={() => void add(draft.draftId)}>
                          {busy === draft.draftId ? t('adding') : t('add')}
                        </button>
                      </div>
                      <AddOutcome draftId={draft.draftId} outcome={outcome[draft.draftId]} t={t} />
                      <ErrorBox error={errors[draft.draftId]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </>
  );
}

function AddOutcome({ draftId, outcome, t }: { draftId: number; outcome: Outcome | undefined; t: T }) {
  if (!outcome) return null;
  return (
    <div class={outcome.kind === 'added' ? 'ok-box' : 'info-box'} role="status" data-testid={`add-draft-result-${draftId}`}>
      {outcome.kind === 'added' ? t('added', { draft: draftId, id: outcome.templateId }) : t('pending', { draft: draftId, message: outcome.message })}
    </div>
  );
}

function ProfileEditor({ template, t }: { template: Template; t: T }) {
  const lang = useLang();
  const id = template.templateId;
  const [loaded] = useLoad(
    () =>
      getJson<ReleaseProfileView>(`/api/templates/${id}/profile`).catch((error: unknown) => {
        // No profile yet is not an error: an editor with an example, and the API's word for it.
        if (error instanceof ApiError && error.status === 404 && error.code === 'profile_not_found') return error;
        throw error;
      }),
    [id],
  );
  const [savedAt, setSavedAt] = useState<string>();
  return (
    <div class="card" id={`profile-${id}`} data-profile={id}>
      <h3>{t('profileOf', { id, version: template.userVersion, desc: template.userDesc })}</h3>
      <Show loaded={loaded}>
        {(value) => {
          const missing = value instanceof ApiError && savedAt === undefined;
          const updatedAt = savedAt ?? (value instanceof ApiError ? undefined : value.updatedAt);
          return (
            <>
              {value instanceof ApiError && missing ? (
                <p class="muted" data-testid={`profile-missing-${id}`}>
                  {t('notSaved')} <span class="mono">({value.message})</span>
                </p>
              ) : (
                updatedAt !== undefined && <p class="muted">{t('updatedAt', { time: formatTime(updatedAt, lang) })}</p>
              )}
              <JsonEditor
                testids={{ editor: `profile-editor-${id}`, save: `profile-save-${id}`, error: `profile-error-${id}`, saved: `profile-saved-${id}` }}
                label={t('profileLabel', { id })}
                initial={pretty(value instanceof ApiError ? SKELETON : value.profile)}
                rows={24}
                save={async (body) => (await sendJson<ReleaseProfileView>('PUT', `/api/templates/${id}/profile`, body)).profile}
                onSaved={() => setSavedAt(new Date().toISOString())}
              />
            </>
          );
        }}
      </Show>
    </div>
  );
}
