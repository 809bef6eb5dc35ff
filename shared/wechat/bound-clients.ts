import type { AuthorizerApi } from './authorizer-api';
import type { ComponentApi } from './component-api';

/**
 * Runs a call with a valid access token, and once more with a fresh one if WeChat rejects it
 * (40001/42001/40014): a LeasedToken.
 */
export interface TokenHolder {
  use<T>(call: (token: string) => Promise<T>): Promise<T>;
}

/** An API whose methods take the access token first, with the token supplied by its holder. */
export type Bound<Api, Method extends keyof Api> = {
  [M in Method]: Api[M] extends (token: string, ...args: infer Args) => Promise<infer Answer> ? (...args: Args) => Promise<Answer> : never;
};

/** Component APIs that authenticate with the platform's secret, not its token: not bound. */
type SecretMethods = 'componentToken' | 'startPushTicket';

/** `wechat.component.queryAuth(code)`: component APIs with the platform's component_access_token. */
export type ComponentClient = Bound<ComponentApi, Exclude<keyof ComponentApi, SecretMethods>>;
/** `wechat.tenant(appid).commit(…)`: a mini-program's APIs with its authorizer_access_token. */
export type TenantClient = Bound<AuthorizerApi, keyof AuthorizerApi>;

export interface WeChatClients {
  component: ComponentClient;
  tenant(appid: string): TenantClient;
}

/**
 * Binds `api` to `holder`: every method call leases the token, and the one retry on a rejected
 * token happens inside, so a call site says what it asks WeChat and nothing about tokens.
 */
export function bindToken<Api extends object, Method extends keyof Api>(api: Api, holder: TokenHolder): Bound<Api, Method> {
  return new Proxy({} as Bound<Api, Method>, {
    get: (_, method) => {
      const call = api[method as keyof Api];
      if (typeof call !== 'function') return undefined;
      return (...args: unknown[]) => holder.use((token) => call.call(api, token, ...args));
    },
  });
}

export function weChatClients(
  apis: { component: ComponentApi; authorizer: AuthorizerApi },
  tokens: { component: TokenHolder; forTenant(appid: string): TokenHolder },
): WeChatClients {
  return {
    component: bindToken(apis.component, tokens.component),
    tenant: (appid) => bindToken(apis.authorizer, tokens.forTenant(appid)),
  };
}
