import { Option, type Command } from 'commander';
import type { TenantPage, TenantSyncResult, TenantView } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { table } from '../format';
import { readinessCell } from '../gates';

/** The API's largest page: --all fetches the fleet in as few requests as possible. */
const ALL_PAGE_SIZE = 500;

export function registerTenants(program: Command, ctx: CliContext): void {
  const tenants = program
    .command('tenants')
    .description("list the mini-programs that authorized mpfleet, with their release readiness (subcommand: sync)")
    .addOption(new Option('--status <status>', 'only tenants in this status').choices(['active', 'revoked', 'needs_reauth']))
    .addOption(new Option('--not-ready', "only tenants a release gate blocks (`mpfleet readiness <appid>` says why); tenants never checked are in neither list").conflicts('ready'))
    .addOption(new Option('--ready', 'only tenants WeChat would take a release of now').conflicts('notReady'))
    .option('--all', 'follow every page instead of showing the first one')
    .action(async (options: { status?: string; all?: boolean; ready?: boolean; notReady?: boolean }, command: Command) => {
      const client = ctx.client(command);
      const ready = options.ready ? 'true' : options.notReady ? 'false' : undefined;
      const query = { status: options.status, ready };
      const page: TenantPage = options.all
        ? { tenants: await client.all<TenantView>('/api/tenants', 'tenants', { limit: ALL_PAGE_SIZE, ...query }) }
        : await client.get<TenantPage>('/api/tenants', query);
      ctx.output(command, page, () => {
        const rows = page.tenants.map((t) => [t.appid, t.nickName, t.status, readinessCell(t), t.releasedVersion, t.lastDeployment]);
        const lines = [table(['APPID', 'NAME', 'STATUS', 'READINESS', 'RELEASED', 'LAST DEPLOYMENT'], rows)];
        if (page.nextToken) lines.push('… more tenants: add --all to list every page');
        return lines.join('\n');
      });
    });

  tenants
    .command('sync')
    .description("recover every authorization WeChat still has and mpfleet lost (compares WeChat's authorizer list with the tenants)")
    .action(async (_options: unknown, command: Command) => {
      const result = await ctx.client(command).post<TenantSyncResult>('/api/tenants/sync', {});
      ctx.output(command, result, () =>
        result.recovered.length === 0
          ? `${result.checked} authorizers checked: nothing to recover`
          : [`${result.checked} authorizers checked, ${result.recovered.length} recovered (now active):`, ...result.recovered].join('\n'),
      );
    });
}
