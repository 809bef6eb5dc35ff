import type { TenantStore } from '../tenants/tenant-store';
import type { WeChatClients } from '../wechat/bound-clients';
import type { DeployMessage } from './deploy-messages';
import type { DeploymentStore } from './deployment-store';

/**
 * What the deploy engine needs from the world, and nothing more: the deployment store, the deploy
 * queue, the tenant registry's deploy bookkeeping and WeChat bound to each tenant's token. The
 * wired Services satisfy it; the engine's unit tests pass in-memory ones.
 */
export interface DeployEngine {
  deployments: DeploymentStore;
  deployQueue: { send(messages: DeployMessage[], delaySeconds?: number): Promise<void> };
  tenants: Pick<
    TenantStore,
    'get' | 'list' | 'pointAuditAt' | 'recordRelease' | 'recordReleaseAndLetGo' | 'recordRollback' | 'markUnusable' | 'hold' | 'waitFor' | 'letGo' | 'handOver' | 'saveReadiness' | 'recordGray' | 'clearGray'
  >;
  wechat: Pick<WeChatClients, 'tenant'>;
}
