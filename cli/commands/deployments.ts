import type { Command } from 'commander';
import type { DeploymentPage, DeploymentSummary } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { countsInline, table } from '../format';

export function registerDeployments(program: Command, ctx: CliContext): void {
  program
    .command('deployments')
    .description('list deployments, newest first')
    .option('--all', 'follow every page instead of showing the first one')
    .action(async (options: { all?: boolean }, command: Command) => {
      const client = ctx.client(command);
      const page: DeploymentPage = options.all
        ? { deployments: await client.all<DeploymentSummary>('/api/deployments', 'deployments', { limit: 1000 }) }
        : await client.get<DeploymentPage>('/api/deployments');
      ctx.output(command, page, () => {
        const rows = page.deployments.map((d) => [d.id, d.status, d.userVersion, d.total, countsInline(d.counts), d.createdAt]);
        const lines = [table(['ID', 'STATUS', 'VERSION', 'TARGETS', 'COUNTS', 'CREATED'], rows)];
        if (page.nextToken) lines.push('… more deployments: add --all to list every page');
        return lines.join('\n');
      });
    });
}
