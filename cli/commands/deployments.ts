import { InvalidArgumentError, type Command } from 'commander';
import type { DeploymentPage, DeploymentSummary } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { countsInline, table } from '../format';

const ACTIONS = {
  retry: 'retry failed targets',
  release: 'release approved targets (manual-release deployments)',
  rollback: 'roll released targets back to their previous version',
  cancel: 'stop: no further commits, submissions or releases',
} as const;

function parsePercent(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100) throw new InvalidArgumentError('must be a whole percentage from 1 to 100');
  return n;
}

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

  for (const [action, description] of Object.entries(ACTIONS)) {
    const command = program.command(action).description(description).argument('<id>', 'deployment id (d-…)');
    if (action === 'release') command.option('--gray <percent>', 'gray release to this percentage of users', parsePercent);
    command.action(async (id: string, options: { gray?: number }, cmd: Command) => {
      const body = options.gray === undefined ? undefined : { grayPercentage: options.gray };
      const result = await ctx.client(cmd).post<{ id: string; action: string }>(`/api/deployments/${encodeURIComponent(id)}/${action}`, body);
      ctx.output(cmd, result, () => `${action} requested for ${id}`);
    });
  }
}
