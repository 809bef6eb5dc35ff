/**
 * Runtime configuration, read from the environment under the same names in Lambda and locally
 * (see the README's configuration table). Secrets are not here: see shared/secrets.ts.
 */
export interface WeChatEndpoints {
  /** Base of api.weixin.qq.com (scheme://host[:port]). */
  apiBase: string;
  /** Base of mp.weixin.qq.com, which serves the PC (scan) authorization page. */
  mpBase: string;
  /** Base of open.weixin.qq.com, which serves the in-WeChat authorization page. */
  openBase: string;
}

export interface AppConfig {
  publicBaseUrl: string;
  componentAppid: string;
  wechat: WeChatEndpoints;
  tableName: string;
  deployQueueUrl: string;
}

const WECHAT_DEFAULTS: WeChatEndpoints = {
  apiBase: 'https://api.weixin.qq.com',
  mpBase: 'https://mp.weixin.qq.com',
  openBase: 'https://open.weixin.qq.com',
};

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = env.PORT ?? '3000';
  return {
    publicBaseUrl: stripTrailingSlash(env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`),
    componentAppid: env.WECHAT_COMPONENT_APPID ?? '',
    wechat: {
      apiBase: stripTrailingSlash(env.WECHAT_API_BASE ?? WECHAT_DEFAULTS.apiBase),
      mpBase: stripTrailingSlash(env.WECHAT_MP_BASE ?? WECHAT_DEFAULTS.mpBase),
      openBase: stripTrailingSlash(env.WECHAT_OPEN_BASE ?? WECHAT_DEFAULTS.openBase),
    },
    tableName: env.TABLE_NAME ?? 'mpfleet',
    deployQueueUrl: env.DEPLOY_QUEUE_URL ?? '',
  };
}
