/**
 * Component-level WeChat APIs (docs/wechat-protocol.md §3) and the template-library APIs of §4,
 * all called with the platform's own credentials. Answers keep WeChat's field names.
 */
import type { WeChatHttp } from './http';
import type {
  AuthorizerInfoResponse,
  AuthorizerListResponse,
  AuthorizerTokenResponse,
  ComponentTokenResponse,
  JsCode2SessionResponse,
  PreAuthCodeResponse,
  QueryAuthResponse,
  TemplateDraftListResponse,
  TemplateListResponse,
  TemplateType,
  WeChatResult,
} from './types';

/** WeChat caps api_get_authorizer_list pages at 500. */
export const MAX_AUTHORIZER_PAGE = 500;

export class ComponentApi {
  constructor(
    private readonly http: WeChatHttp,
    private readonly componentAppid: string,
  ) {}

  componentToken(componentSecret: string, verifyTicket: string): Promise<ComponentTokenResponse> {
    return this.http.postJson('/cgi-bin/component/api_component_token', {}, {
      component_appid: this.componentAppid,
      component_appsecret: componentSecret,
      component_verify_ticket: verifyTicket,
    });
  }

  /** A wx.login code of an authorized mini-program's user → its openid and session key (小程序登录, on behalf). */
  jscode2session(componentToken: string, appid: string, code: string): Promise<JsCode2SessionResponse> {
    return this.http.getJson('/sns/component/jscode2session', {
      appid,
      js_code: code,
      grant_type: 'authorization_code',
      component_appid: this.componentAppid,
      component_access_token: componentToken,
    });
  }

  /** Asks WeChat to push a fresh component_verify_ticket; there is no way to pull one. */
  async startPushTicket(componentSecret: string): Promise<void> {
    await this.http.postJson<WeChatResult>('/cgi-bin/component/api_start_push_ticket', {}, {
      component_appid: this.componentAppid,
      component_secret: componentSecret,
    });
  }

  createPreAuthCode(componentToken: string): Promise<PreAuthCodeResponse> {
    return this.postWithComponentToken('/cgi-bin/component/api_create_preauthcode', componentToken, {});
  }

  queryAuth(componentToken: string, authorizationCode: string): Promise<QueryAuthResponse> {
    return this.postWithComponentToken('/cgi-bin/component/api_query_auth', componentToken, {
      authorization_code: authorizationCode,
    });
  }

  authorizerToken(componentToken: string, authorizerAppid: string, refreshToken: string): Promise<AuthorizerTokenResponse> {
    return this.postWithComponentToken('/cgi-bin/component/api_authorizer_token', componentToken, {
      authorizer_appid: authorizerAppid,
      authorizer_refresh_token: refreshToken,
    });
  }

  getAuthorizerInfo(componentToken: string, authorizerAppid: string): Promise<AuthorizerInfoResponse> {
    return this.postWithComponentToken('/cgi-bin/component/api_get_authorizer_info', componentToken, {
      authorizer_appid: authorizerAppid,
    });
  }

  /** `count` is capped by WeChat at {@link MAX_AUTHORIZER_PAGE}. */
  getAuthorizerList(componentToken: string, offset: number, count: number): Promise<AuthorizerListResponse> {
    return this.postWithComponentToken('/cgi-bin/component/api_get_authorizer_list', componentToken, {
      offset,
      count,
    });
  }

  // The template-library APIs live under /wxa and take the component token as `access_token`,
  // exactly as WeChat documents them.

  getTemplateDraftList(componentToken: string): Promise<TemplateDraftListResponse> {
    return this.http.getJson('/wxa/gettemplatedraftlist', { access_token: componentToken });
  }

  async addToTemplate(componentToken: string, draftId: number, templateType: TemplateType = 0): Promise<void> {
    await this.http.postJson<WeChatResult>(
      '/wxa/addtotemplate',
      { access_token: componentToken },
      { draft_id: draftId, template_type: templateType },
    );
  }

  /** Without `templateType` WeChat lists templates of every type. */
  getTemplateList(componentToken: string, templateType?: TemplateType): Promise<TemplateListResponse> {
    const query: Record<string, string> = { access_token: componentToken };
    if (templateType !== undefined) query.template_type = String(templateType);
    return this.http.getJson('/wxa/gettemplatelist', query);
  }

  async deleteTemplate(componentToken: string, templateId: number): Promise<void> {
    await this.http.postJson<WeChatResult>(
      '/wxa/deletetemplate',
      { access_token: componentToken },
      { template_id: templateId },
    );
  }

  /** 快速注册企业小程序: `create` starts a task the legal representative confirms in WeChat; `search` asks how it stands. */
  async fastRegisterEnterprise(componentToken: string, action: 'create' | 'search', body: Record<string, unknown>): Promise<void> {
    await this.http.postJson<WeChatResult>('/cgi-bin/component/fastregisterweapp', { action, component_access_token: componentToken }, body);
  }

  /** 快速注册个人小程序: `create` answers a taskid and the URL the user confirms at; `query` its status. */
  fastRegisterPersonal(componentToken: string, action: 'create' | 'query', body: Record<string, unknown>): Promise<WeChatResult & { taskid?: string; authorize_url?: string; status?: number }> {
    return this.http.postJson('/wxa/component/fastregisterpersonalweapp', { action, component_access_token: componentToken }, body);
  }

  /** 创建试用小程序: answers the task's unique_id and the URL the founder confirms at. */
  fastRegisterTrial(componentToken: string, body: Record<string, unknown>): Promise<WeChatResult & { unique_id?: string; authorize_url?: string }> {
    return this.http.postJson('/wxa/component/fastregisterbetaweapp', { access_token: componentToken }, body);
  }

  private postWithComponentToken<T>(path: string, componentToken: string, body: Record<string, unknown>): Promise<T> {
    return this.http.postJson<T>(
      path,
      { component_access_token: componentToken },
      { component_appid: this.componentAppid, ...body },
    );
  }
}
