import { withBlockers, type Readiness } from '../../shared/readiness/readiness';
import type { Tenant, TenantStatus } from '../../shared/tenants/tenant';
import { MemoryTenants, ScriptedWeChat } from './memory-deploy-engine';

/**
 * The ports of the readiness checks in memory: the tenant registry (MemoryTenants, with the
 * scheduled check's `all`, page by page as TenantStore walks it) and the scripted WeChat, whose
 * unscripted answers pass every release gate.
 */
export class ReadinessTenants extends MemoryTenants {
  async *all(status?: TenantStatus): AsyncGenerator<Tenant> {
    let nextToken: string | undefined;
    do {
      const page = await this.list({ limit: 100, nextToken, status });
      yield* page.tenants;
      nextToken = page.nextToken;
    } while (nextToken);
  }
}

export function readinessPorts(): { tenants: ReadinessTenants; wechat: ScriptedWeChat } {
  return { tenants: new ReadinessTenants(), wechat: new ScriptedWeChat() };
}

/**
 * Readiness as a check at `checkedAtMs` stored it: an ICP filing not done (status 1024) unless
 * `over` says otherwise, so a test can tell it from the scripted WeChat's all-ready answer.
 */
export function storedReadiness(checkedAtMs: number, over: Partial<Omit<Readiness, 'ready' | 'blockers'>> = {}): Readiness {
  return withBlockers({
    checkedAtMs,
    icp: { state: 'not_filed', status: 1024 },
    privacy: { configured: true, keys: ['UserInfo'], grantedApis: [] },
    basicInfo: { nickName: 'Shop', headImage: 'https://example.invalid/a.png', signature: 'A shop', complete: true, missing: [] },
    categories: [{ first: '工具', second: '效率', firstId: 287, secondId: 616 }],
    ...over,
  });
}
