/**
 * WeChat APIs called on behalf of one authorized mini-program with its authorizer_access_token
 * (`?access_token=`): code management (docs/wechat-protocol.md §4), the customer-service message
 * of the full-network release check (§6) and the privacy guide. Answers keep WeChat's field names.
 */
import type { UploadFile, WeChatBinaryResponse, WeChatHttp } from './http';
import type {
  AddCategoryRequest,
  AllCategoriesResponse,
  CheckNicknameResponse,
  HeadImageCrop,
  MediaUploadResponse,
  QueryNicknameResponse,
  SetNicknameRequest,
  SetNicknameResponse,
  SettingCategoriesResponse,
  AuditStatusResponse,
  BindTesterResponse,
  AccountBasicInfoResponse,
  CategoryListResponse,
  CodePrivacyInfoResponse,
  CommitRequest,
  CustomTextMessage,
  ExperiencerListResponse,
  GetPrivacySettingResponse,
  GrayReleasePlanResponse,
  GrayReleaseRequest,
  HistoryVersionResponse,
  IcpEntranceInfoResponse,
  LatestAuditStatusResponse,
  ModifyDomainRequest,
  ModifyDomainResponse,
  PageListResponse,
  PrivacyInterfaceResponse,
  PrivacyVersion,
  QuotaResponse,
  SetPrivacySettingRequest,
  SubmitAuditRequest,
  SubmitAuditResponse,
  UnbindTesterRequest,
  VersionInfoResponse,
  VisitStatusAction,
  WebviewDomainRequest,
  WebviewDomainResponse,
  WeChatResult,
} from './types';

export class AuthorizerApi {
  constructor(private readonly http: WeChatHttp) {}

  async commit(token: string, req: CommitRequest): Promise<void> {
    // The type already demands a string; this catches untyped callers before WeChat's 85013.
    if (typeof req.ext_json !== 'string') throw new TypeError('commit: ext_json must be a JSON string');
    await this.post('/wxa/commit', token, {
      template_id: req.template_id,
      ext_json: req.ext_json,
      user_version: req.user_version,
      user_desc: req.user_desc,
    });
  }

  getPage(token: string): Promise<PageListResponse> {
    return this.get('/wxa/get_page', token);
  }

  /** The trial-version QR code as image bytes; `path` opens a given page (e.g. `pages/index?x=1`). */
  getQrcode(token: string, path?: string): Promise<WeChatBinaryResponse> {
    return this.http.getBinary('/wxa/get_qrcode', withToken(token, path === undefined ? {} : { path }));
  }

  getCategory(token: string): Promise<CategoryListResponse> {
    return this.get('/wxa/get_category', token);
  }

  submitAudit(token: string, req: SubmitAuditRequest): Promise<SubmitAuditResponse> {
    return this.post('/wxa/submit_audit', token, req);
  }

  getAuditStatus(token: string, auditid: number): Promise<AuditStatusResponse> {
    return this.post('/wxa/get_auditstatus', token, { auditid });
  }

  getLatestAuditStatus(token: string): Promise<LatestAuditStatusResponse> {
    return this.get('/wxa/get_latest_auditstatus', token);
  }

  /** Limited by WeChat to 5 a day and 10 a month (87013). */
  async undoCodeAudit(token: string): Promise<void> {
    await this.get('/wxa/undocodeaudit', token);
  }

  async release(token: string): Promise<void> {
    await this.post('/wxa/release', token, {}); // WeChat insists on exactly `{}`
  }

  /** The trial version and the version online for everyone; a part is absent when there is none. */
  getVersionInfo(token: string): Promise<VersionInfoResponse> {
    return this.post('/wxa/getversioninfo', token, {}); // WeChat wants `{}`: no body is 44002
  }

  /** Rolls back to `appVersion` (from getHistoryVersion), or to the previous release without one. */
  async revertCodeRelease(token: string, appVersion?: number): Promise<void> {
    await this.get('/wxa/revertcoderelease', token, appVersion === undefined ? {} : { app_version: String(appVersion) });
  }

  getHistoryVersion(token: string): Promise<HistoryVersionResponse> {
    return this.get('/wxa/revertcoderelease', token, { action: 'get_history_version' });
  }

  async grayRelease(token: string, req: GrayReleaseRequest): Promise<void> {
    await this.post('/wxa/grayrelease', token, req);
  }

  async revertGrayRelease(token: string): Promise<void> {
    await this.get('/wxa/revertgrayrelease', token);
  }

  getGrayReleasePlan(token: string): Promise<GrayReleasePlanResponse> {
    return this.get('/wxa/getgrayreleaseplan', token);
  }

  async changeVisitStatus(token: string, action: VisitStatusAction): Promise<void> {
    await this.post('/wxa/change_visitstatus', token, { action });
  }

  queryQuota(token: string): Promise<QuotaResponse> {
    return this.get('/wxa/queryquota', token);
  }

  async speedupAudit(token: string, auditid: number): Promise<void> {
    await this.post('/wxa/speedupaudit', token, { auditid });
  }

  modifyDomain(token: string, req: ModifyDomainRequest): Promise<ModifyDomainResponse> {
    return this.post('/wxa/modify_domain', token, req);
  }

  setWebviewDomain(token: string, req: WebviewDomainRequest): Promise<WebviewDomainResponse> {
    return this.post('/wxa/setwebviewdomain', token, req);
  }

  bindTester(token: string, wechatid: string): Promise<BindTesterResponse> {
    return this.post('/wxa/bind_tester', token, { wechatid });
  }

  async unbindTester(token: string, who: UnbindTesterRequest): Promise<void> {
    await this.post('/wxa/unbind_tester', token, who);
  }

  /** Lists the mini-program's experiencers (testers). */
  memberAuth(token: string): Promise<ExperiencerListResponse> {
    return this.post('/wxa/memberauth', token, { action: 'get_experiencer' });
  }

  async sendCustomMessage(token: string, message: CustomTextMessage): Promise<void> {
    await this.post('/cgi-bin/message/custom/send', token, message);
  }

  async setPrivacySetting(token: string, req: SetPrivacySettingRequest): Promise<void> {
    await this.post('/cgi-bin/component/setprivacysetting', token, req);
  }

  /** ICP filing (备案) status, and WeChat's reasons when it was rejected. */
  getIcpEntranceInfo(token: string): Promise<IcpEntranceInfoResponse> {
    return this.get('/wxa/icp/get_icp_entrance_info', token);
  }

  /** Name, avatar, introduction and verification of the mini-program. */
  getAccountBasicInfo(token: string): Promise<AccountBasicInfoResponse> {
    return this.get('/cgi-bin/account/getaccountbasicinfo', token);
  }

  /** The privacy APIs the committed code uses but lacks a grant (auth) or declaration (conf) for; 61039 while WeChat still scans. */
  getCodePrivacyInfo(token: string): Promise<CodePrivacyInfoResponse> {
    return this.get('/wxa/security/get_code_privacy_info', token);
  }

  /** The location-type privacy interfaces and whether each is granted (status 5). */
  getPrivacyInterface(token: string): Promise<PrivacyInterfaceResponse> {
    return this.get('/wxa/security/get_privacy_interface', token);
  }

  /** A template backend's call through mpfleet (the runtime proxy): WeChat's answer as it is; a refused token throws (to be refreshed). */
  callForBackend(token: string, path: string, body: unknown): Promise<WeChatBinaryResponse & { status: number }> {
    return this.http.postPassThrough(path, withToken(token, {}), body);
  }

  /** Without `privacyVer` WeChat picks its default version. */
  getPrivacySetting(token: string, privacyVer?: PrivacyVersion): Promise<GetPrivacySettingResponse> {
    return this.post('/cgi-bin/component/getprivacysetting', token, privacyVer === undefined ? {} : { privacy_ver: privacyVer });
  }

  /** A temporary image (3 days): what modifyheadimage and addcategory's qualifications take as a media id. */
  uploadImage(token: string, image: Omit<UploadFile, 'field'>): Promise<MediaUploadResponse> {
    return this.http.postFile('/cgi-bin/media/upload', withToken(token, { type: 'image' }), { ...image, field: 'media' });
  }

  async modifyHeadImage(token: string, mediaId: string, crop: HeadImageCrop): Promise<void> {
    await this.post('/cgi-bin/account/modifyheadimage', token, { head_img_media_id: mediaId, ...crop });
  }

  /** The introduction (功能介绍). */
  async modifySignature(token: string, signature: string): Promise<void> {
    await this.post('/cgi-bin/account/modifysignature', token, { signature });
  }

  checkNickname(token: string, nickName: string): Promise<CheckNicknameResponse> {
    return this.post('/cgi-bin/wxverify/checkwxverifynickname', token, { nick_name: nickName });
  }

  setNickname(token: string, req: SetNicknameRequest): Promise<SetNicknameResponse> {
    return this.post('/wxa/setnickname', token, req);
  }

  queryNickname(token: string, auditId: number): Promise<QueryNicknameResponse> {
    return this.post('/wxa/api_wxa_querynickname', token, { audit_id: auditId });
  }

  /** WeChat's category catalogue, as far as this mini-program's principal may use it. */
  getAllCategories(token: string): Promise<AllCategoriesResponse> {
    return this.get('/cgi-bin/wxopen/getallcategories', token);
  }

  /** The categories set on the mini-program, with their review state (get_category lists only the approved ones). */
  getSettingCategories(token: string): Promise<SettingCategoriesResponse> {
    return this.get('/cgi-bin/wxopen/getcategory', token);
  }

  async addCategory(token: string, req: AddCategoryRequest): Promise<void> {
    await this.post('/cgi-bin/wxopen/addcategory', token, req);
  }

  async deleteCategory(token: string, first: number, second: number): Promise<void> {
    await this.post('/cgi-bin/wxopen/deletecategory', token, { first, second });
  }

  private get<T extends WeChatResult>(path: string, token: string, query: Record<string, string> = {}): Promise<T> {
    return this.http.getJson<T>(path, withToken(token, query));
  }

  private post<T extends WeChatResult>(path: string, token: string, body: object): Promise<T> {
    return this.http.postJson<T>(path, withToken(token, {}), body);
  }
}

function withToken(token: string, query: Record<string, string>): Record<string, string> {
  return { access_token: token, ...query };
}
