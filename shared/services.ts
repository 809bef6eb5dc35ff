import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type AppConfig } from './config';
import { DeployQueue } from './deployments/deploy-queue';
import type { DeploymentStore } from './deployments/deployment-store';
import { DynamoDeploymentStore } from './deployments/dynamo-deployment-store';
import { dynamo, tableName } from './db/client';
import type { DeliveryStore } from './forwarding/delivery-store';
import type { ForwardQueue } from './forwarding/forward-queue';
import { forwardingAdapters } from './forwarding/forwarding-ports';
import { PushLog, pushRetentionDays } from './pushes/push-log';
import { getSecret } from './secrets';
import { TenantStore } from './tenants/tenant-store';
import { VerifyTicketStore } from './tickets/verify-ticket-store';
import { AuthorizerTokens } from './tokens/authorizer-token';
import { componentToken } from './tokens/component-token';
import type { LeasedToken } from './tokens/leased-token';
import { AuthorizerApi } from './wechat/authorizer-api';
import { weChatClients, type WeChatClients } from './wechat/bound-clients';
import { ComponentApi } from './wechat/component-api';
import { MessageCrypto } from './wechat/crypto';
import { WeChatHttp } from './wechat/http';

/** Everything a use case may need, wired once per Lambda container (cold start). */
export interface Services {
  config: AppConfig;
  db: DynamoDBDocumentClient;
  table: string;
  /** WeChat's APIs bound to their tokens: `wechat.component.queryAuth(code)`, `wechat.tenant(appid).commit(…)`. */
  wechat: WeChatClients;
  componentApi: ComponentApi;
  authorizerApi: AuthorizerApi;
  tickets: VerifyTicketStore;
  tenants: TenantStore;
  deployments: DeploymentStore;
  deployQueue: DeployQueue;
  /** Messages and events on their way to the tenants' forward URLs. */
  deliveries: DeliveryStore;
  forwardQueue: ForwardQueue;
  /** Every authentic push WeChat sent, secrets removed, kept PUSH_RETENTION_DAYS. */
  pushLog: PushLog;
  componentToken: LeasedToken;
  authorizerTokens: AuthorizerTokens;
  /** The platform's message crypto (token + EncodingAESKey + component appid). */
  messageCrypto: () => Promise<MessageCrypto>;
  componentSecret: () => Promise<string>;
}

export function createServices(env: NodeJS.ProcessEnv = process.env, db: DynamoDBDocumentClient = dynamo()): Services {
  const config = loadConfig(env);
  const table = tableName(env);
  const http = new WeChatHttp({ apiBase: config.wechat.apiBase });
  const componentApi = new ComponentApi(http, config.componentAppid);
  const tickets = new VerifyTicketStore(db, table);
  const tenants = new TenantStore(db, table);
  const componentSecret = () => getSecret('componentSecret', env);
  const platformToken = componentToken({ db, table, api: componentApi, tickets, componentSecret });
  const authorizerApi = new AuthorizerApi(http);
  const authorizerTokens = new AuthorizerTokens({
    db,
    table,
    api: componentApi,
    componentToken: platformToken,
    onNeedsReauth: async (appid, reason) => {
      await tenants.markUnusable(appid, 'needs_reauth', reason);
    },
  });
  let crypto: Promise<MessageCrypto> | undefined;
  return {
    wechat: weChatClients(
      { component: componentApi, authorizer: authorizerApi },
      { component: platformToken, forTenant: (appid) => authorizerTokens.forTenant(appid) },
    ),
    config,
    db,
    table,
    componentApi,
    authorizerApi,
    tickets,
    tenants,
    deployments: new DynamoDeploymentStore(db, table),
    deployQueue: new DeployQueue(config.deployQueueUrl),
    ...forwardingAdapters(db, table, env),
    pushLog: new PushLog(db, table, pushRetentionDays(env)),
    componentToken: platformToken,
    authorizerTokens,
    messageCrypto: () =>
      (crypto ??= Promise.all([getSecret('messageToken', env), getSecret('encodingAesKey', env)])
        .then(([token, encodingAesKey]) => new MessageCrypto({ token, encodingAesKey, appid: config.componentAppid }))
        .catch((error) => {
          crypto = undefined; // a transient secrets failure must not stick for the container's life
          throw error;
        })),
    componentSecret,
  };
}

let shared: { services: Services; builtFrom: string } | undefined;

const WIRING_ENV = ['TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB', 'WECHAT_API_BASE', 'WECHAT_COMPONENT_APPID', 'PUBLIC_BASE_URL', 'DEPLOY_QUEUE_URL', 'FORWARD_QUEUE_URL'];

/**
 * The container's services, built on first use so it sees the environment the runtime set. (On
 * Lambda that environment never changes; the local runtime may restart in-process with new ports,
 * and then they are rebuilt.)
 */
export function services(): Services {
  const builtFrom = WIRING_ENV.map((name) => process.env[name] ?? '').join('|');
  if (shared?.builtFrom !== builtFrom) shared = { services: createServices(), builtFrom };
  return shared.services;
}
