/**
 * Request and response shapes of the WeChat APIs we call, with WeChat's own field names
 * (snake_case, and the odd CamelCase such as `MiniProgramInfo` or `ScreenShot`). Fields WeChat
 * does not always send are optional; unknown extra fields are simply carried along.
 */

/** Present on every answer; a successful one may omit both. */
export interface WeChatResult {
  errcode?: number;
  errmsg?: string;
}

// ---------- §3 component APIs ----------

export interface ComponentTokenResponse extends WeChatResult {
  component_access_token: string;
  expires_in: number;
}

export interface PreAuthCodeResponse extends WeChatResult {
  pre_auth_code: string;
  expires_in: number;
}

export interface FuncInfo {
  funcscope_category: { id: number };
  confirm_info?: { need_confirm: number; already_confirm: number; can_confirm: number };
}

export interface QueryAuthResponse extends WeChatResult {
  authorization_info: {
    authorizer_appid: string;
    authorizer_access_token: string;
    expires_in: number;
    authorizer_refresh_token: string;
    func_info?: FuncInfo[];
  };
}

export interface AuthorizerTokenResponse extends WeChatResult {
  authorizer_access_token: string;
  expires_in: number;
  authorizer_refresh_token: string;
}

export interface MiniProgramNetwork {
  RequestDomain?: string[];
  WsRequestDomain?: string[];
  UploadDomain?: string[];
  DownloadDomain?: string[];
  BizDomain?: string[];
  UDPDomain?: string[];
  TCPDomain?: string[];
}

export interface MiniProgramInfo {
  network?: MiniProgramNetwork;
  categories?: { first: string; second: string }[];
  visit_status?: number;
}

export interface AuthorizerInfoResponse extends WeChatResult {
  authorizer_info: {
    nick_name?: string;
    head_img?: string;
    service_type_info?: { id: number };
    verify_type_info?: { id: number };
    /** The gh_... original id, which arrives as ToUserName in message pushes. */
    user_name: string;
    principal_name?: string;
    alias?: string;
    qrcode_url?: string;
    signature?: string;
    account_status?: number;
    business_info?: Record<string, number>;
    MiniProgramInfo?: MiniProgramInfo;
  };
  authorization_info: {
    authorizer_appid: string;
    authorizer_refresh_token?: string;
    func_info?: FuncInfo[];
  };
}

export interface AuthorizerListItem {
  authorizer_appid: string;
  refresh_token: string;
  auth_time: number;
}

export interface AuthorizerListResponse extends WeChatResult {
  total_count: number;
  list: AuthorizerListItem[];
}

// ---------- §4 template library (component token) ----------

/** 0 normal template, 1 standard template (accepts only extAppid, ext, window in ext_json). */
export type TemplateType = 0 | 1;

export interface TemplateDraft {
  draft_id: number;
  user_version: string;
  user_desc: string;
  create_time: number;
  source_miniprogram_appid?: string;
  source_miniprogram?: string;
  developer?: string;
}

export interface TemplateDraftListResponse extends WeChatResult {
  draft_list: TemplateDraft[];
}

export interface Template {
  template_id: number;
  user_version: string;
  user_desc: string;
  create_time: number;
  template_type?: TemplateType;
  source_miniprogram_appid?: string;
  source_miniprogram?: string;
  developer?: string;
}

export interface TemplateListResponse extends WeChatResult {
  template_list: Template[];
}

// ---------- §4 code management (authorizer token) ----------

export interface CommitRequest {
  template_id: number | string;
  /** The per-tenant configuration serialised with JSON.stringify — a string, never an object. */
  ext_json: string;
  user_version: string;
  user_desc: string;
}

export interface PageListResponse extends WeChatResult {
  page_list: string[];
}

export interface AuditCategory {
  first_class: string;
  second_class: string;
  third_class?: string;
  first_id: number;
  second_id: number;
  third_id?: number;
}

export interface CategoryListResponse extends WeChatResult {
  category_list: AuditCategory[];
}

export interface AuditItem {
  address?: string;
  tag?: string;
  title?: string;
  first_class?: string;
  second_class?: string;
  third_class?: string;
  first_id?: number;
  second_id?: number;
  third_id?: number;
}

export interface SubmitAuditRequest {
  /** At most 5 items; may be left out to let WeChat derive them. */
  item_list?: AuditItem[];
  preview_info?: { video_id_list?: string[]; pic_id_list?: string[] };
  version_desc?: string;
  feedback_info?: string;
  feedback_stuff?: string;
  ugc_declare?: {
    scene?: number[];
    other_scene_desc?: string;
    method?: number[];
    has_audit_team?: number;
    audit_desc?: string;
  };
  privacy_api_not_use?: boolean;
  order_path?: string;
}

export interface SubmitAuditResponse extends WeChatResult {
  auditid: number;
}

/** 0 approved, 1 rejected, 2 under review, 3 withdrawn, 4 delayed. */
export type AuditStatus = 0 | 1 | 2 | 3 | 4;

export interface AuditStatusResponse extends WeChatResult {
  status: AuditStatus;
  reason?: string;
  /** Media ids of rejection screenshots joined by `|`. */
  screenshot?: string;
}

export interface LatestAuditStatusResponse extends WeChatResult {
  auditid: number;
  status: AuditStatus;
  reason?: string;
  ScreenShot?: string;
  user_version?: string;
  user_desc?: string;
  submit_audit_time?: number;
}

export interface HistoryVersion {
  app_version: number;
  user_version: string;
  user_desc: string;
  commit_time: number;
}

export interface HistoryVersionResponse extends WeChatResult {
  version_list: HistoryVersion[];
}

/** getversioninfo: the trial (experience) version. */
export interface ExpVersionInfo {
  /** Epoch seconds the trial version was committed. */
  exp_time: number;
  exp_version: string;
  exp_desc: string;
}

/** getversioninfo: the version online for everyone (during a phased release, the previous one). */
export interface ReleaseVersionInfo {
  /** Epoch seconds it was released. */
  release_time: number;
  release_version: string;
  release_desc: string;
}

/** Either part is left out when there is no such version. */
export interface VersionInfoResponse extends WeChatResult {
  exp_info?: ExpVersionInfo;
  release_info?: ReleaseVersionInfo;
}

export interface GrayReleaseRequest {
  /** 1–100. */
  gray_percentage: number;
  support_debuger_first?: boolean;
  support_experiencer_first?: boolean;
}

export interface GrayReleasePlanResponse extends WeChatResult {
  gray_release_plan: {
    status: number;
    create_timestamp: number;
    gray_percentage: number;
    support_debuger_first?: boolean;
    support_experiencer_first?: boolean;
  };
}

export type VisitStatusAction = 'open' | 'close';

export interface QuotaResponse extends WeChatResult {
  rest: number;
  limit: number;
  speedup_rest: number;
  speedup_limit: number;
}

export type DomainAction = 'add' | 'delete' | 'set' | 'get';

export interface ServerDomains {
  requestdomain?: string[];
  wsrequestdomain?: string[];
  uploaddomain?: string[];
  downloaddomain?: string[];
  udpdomain?: string[];
  tcpdomain?: string[];
}

export interface ModifyDomainRequest extends ServerDomains {
  action: DomainAction;
}

export type ModifyDomainResponse = WeChatResult & ServerDomains;

export interface WebviewDomainRequest {
  /** Without an action WeChat sets the domains configured for the third-party platform. */
  action?: DomainAction;
  webviewdomain?: string[];
}

export interface WebviewDomainResponse extends WeChatResult {
  webviewdomain?: string[];
}

export interface BindTesterResponse extends WeChatResult {
  userstr: string;
}

export type UnbindTesterRequest = { wechatid: string } | { userstr: string };

export interface ExperiencerListResponse extends WeChatResult {
  members: { userstr: string }[];
}

// ---------- customer-service message (full-network release check, §6) ----------

export interface CustomTextMessage {
  touser: string;
  msgtype: 'text';
  text: { content: string };
}

// ---------- privacy guide (用户隐私保护指引) ----------

/** 1 the version in production, 2 the development version. */
export type PrivacyVersion = 1 | 2;

export interface PrivacyOwnerSetting {
  contact_email?: string;
  contact_phone?: string;
  contact_qq?: string;
  contact_weixin?: string;
  ext_file_media_id?: string;
  notice_method: string;
  store_expire_timestamp?: string;
  store_region?: number;
}

export interface PrivacySettingItem {
  privacy_key: string;
  privacy_text: string;
}

export interface SdkPrivacyInfo {
  sdk_name: string;
  sdk_biz_name: string;
  sdk_list: PrivacySettingItem[];
}

export interface SetPrivacySettingRequest {
  privacy_ver?: PrivacyVersion;
  owner_setting: PrivacyOwnerSetting;
  setting_list?: PrivacySettingItem[];
  sdk_privacy_info_list?: SdkPrivacyInfo[];
}

export interface GetPrivacySettingResponse extends WeChatResult {
  code_exist?: number;
  privacy_list?: string[];
  setting_list?: (PrivacySettingItem & { privacy_label?: string })[];
  update_time?: number;
  owner_setting?: PrivacyOwnerSetting;
  privacy_desc?: { privacy_desc_list: { privacy_key: string; privacy_desc: string }[] };
  sdk_privacy_info_list?: SdkPrivacyInfo[];
}

// ---------- release gates: ICP filing, basic info, code privacy scan ----------

/** get_icp_entrance_info `info.status`: 2/4 in review (platform / authority), 3/5 rejected, 6 filed, 1024 not filed. */
export interface IcpEntranceInfoResponse extends WeChatResult {
  info: {
    status: number;
    is_canceling?: boolean;
    available?: number;
    audit_data?: { key_name: string; error: string; suggest?: string }[];
  };
}

interface ModifiableValue {
  modify_used_count?: number;
  modify_quota?: number;
}

export interface AccountBasicInfoResponse extends WeChatResult {
  appid?: string;
  principal_name?: string;
  nickname?: string;
  wx_verify_info?: { qualification_verify?: boolean; naming_verify?: boolean; annual_review?: boolean; annual_review_end_time?: number };
  signature_info?: ModifiableValue & { signature?: string };
  head_image_info?: ModifiableValue & { head_image_url?: string };
  nickname_info?: ModifiableValue & { nickname?: string };
}

export interface CodePrivacyInfoResponse extends WeChatResult {
  /** Privacy APIs the code uses without the grant WeChat requires (location APIs). */
  without_auth_list?: string[];
  /** Privacy APIs the code uses without declaring them (requiredPrivateInfos). */
  without_conf_list?: string[];
}

export interface PrivacyInterfaceResponse extends WeChatResult {
  interface_list?: { api_name: string; api_ch_name?: string; status: number }[];
}

// ---------- a template backend's runtime (issue #16) ----------

export interface JsCode2SessionResponse extends WeChatResult {
  openid: string;
  session_key: string;
  unionid?: string;
}

// ---------- basic info, temporary media and categories (authorizer token) ----------

/** media/upload: a temporary media item, valid for 3 days. */
export interface MediaUploadResponse extends WeChatResult {
  type: string;
  media_id: string;
  created_at: number;
}

/** Crop box of modifyheadimage, as fractions of the image (0..1). */
export interface HeadImageCrop {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** checkwxverifynickname: whether the name hits a keyword that needs proof materials. */
export interface CheckNicknameResponse extends WeChatResult {
  hit_condition: boolean;
  wording?: string;
}

export interface SetNicknameRequest {
  nick_name: string;
  /** Media ids of the proof materials a name hitting a keyword needs: id card (personal), licence (organisation). */
  id_card?: string;
  license?: string;
  naming_other_stuff_1?: string;
  naming_other_stuff_2?: string;
}

/** setnickname: set at once, or (audit_id non-zero) under WeChat's review, the result pushed as wxa_nickname_audit. */
export interface SetNicknameResponse extends WeChatResult {
  wording?: string;
  audit_id?: number;
}

export interface QueryNicknameResponse extends WeChatResult {
  nickname: string;
  /** 1 under review, 2 rejected, 3 approved. */
  audit_stat: 1 | 2 | 3;
  fail_reason?: string;
  create_time: number;
  audit_time?: number;
}

/** One node of getallcategories' catalogue; id 0 is the root, whose children are the first-level categories. */
export interface CatalogueCategory {
  id: number;
  name?: string;
  level?: number;
  father?: number;
  children?: number[];
  /** 1: sensitive, needs the qualifications in `qualify` and WeChat's review. */
  sensitive_type?: number;
  qualify?: { exter_list?: { inner_list?: { name: string; url?: string }[] }[]; remark?: string };
}

export interface AllCategoriesResponse extends WeChatResult {
  categories_list: { categories: CatalogueCategory[] };
}

/** getcategory: the categories set on the mini-program, reviewed or not. */
export interface SettingCategoriesResponse extends WeChatResult {
  categories: { first: number; first_name: string; second: number; second_name: string; audit_status: 1 | 2 | 3; audit_reason?: string }[];
  limit?: number;
  quota?: number;
  category_limit?: number;
}

export interface AddCategoryRequest {
  categories: { first: number; second: number; certicates: { key: string; value: string }[] }[];
}
