import type { Command } from 'commander';
import type { TenantView } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { readinessReport } from '../gates';
import { EXIT_BLOCKED } from './deploy';

const tenantPath = (appid: string) => `/api/tenants/${encodeURIComponent(appid)}`;

export function registerReadiness(program: Command, ctx: CliContext): void {
  program
    .command('readiness')
    .summary("a tenant's release gates as WeChat last reported them: a checklist, each blocker and its fix (exit 5 when blocked)")
    .description(
      "a tenant's release gates as a checklist (ICP filing, privacy guide, granted location APIs, basic info, categories, audit quota), " +
        'then each blocker with its fix; exit 0 when ready, 5 when blocked or never checked',
    )
    .argument('<appid>')
    .option('--refresh', 'read the gates from WeChat again first (read calls only), instead of the last check')
    .action(async (appid: string, options: { refresh?: boolean }, command: Command) => {
      const client = ctx.client(command);
      const tenant = options.refresh ? await client.post<TenantView>(`${tenantPath(appid)}/readiness`) : await client.get<TenantView>(tenantPath(appid));
      const readiness = tenant.readiness;
      ctx.output(command, tenant, () =>
        readiness
          ? readinessReport(tenant, readiness)
          : `${tenant.appid}: readiness never checked; read it from WeChat with: mpfleet readiness ${tenant.appid} --refresh`,
      );
      ctx.exitCode = readiness?.ready ? 0 : EXIT_BLOCKED;
    });
}
