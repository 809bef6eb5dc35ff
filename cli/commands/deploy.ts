import type { Command } from 'commander';
import type { CreateDeploymentRequest, DeploymentCreated } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { readJsonInput } from './config';
import { watchDeployment } from './status';
import { parseNonNegativeInteger } from './templates';

const parseList = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

interface DeployOptions {
  template: number;
  version: string;
  desc: string;
  tenants?: string[];
  manualRelease?: boolean;
  audit: boolean;
  ext?: string;
  watch?: boolean;
  supersede?: boolean;
}

export function registerDeploy(program: Command, ctx: CliContext): void {
  program
    .command('deploy')
    .description('commit a template to the fleet (then submit for audit and release); prints the deployment id')
    .requiredOption('--template <id>', 'template id from `mpfleet templates`', parseNonNegativeInteger)
    .requiredOption('--version <version>', 'user_version to commit, e.g. 2.0.0')
    .requiredOption('--desc <text>', 'user_desc: what changed')
    .option('--tenants <appids>', 'comma-separated appids (default: every active tenant)', parseList)
    .option('--manual-release', 'stop at approved; release later with `mpfleet release <id>`')
    .option('--no-audit', 'commit only: do not submit for audit')
    .option('--ext <file>', 'JSON file of deploy-wide ext_json defaults, under each tenant\'s own configuration')
    .option('--supersede', 'take tenants over from a deployment still mid-lifecycle there (its target is cancelled, its audit withdrawn) instead of waiting for it')
    .option('--watch', 'then follow it like `mpfleet status <id> --watch`')
    .action(async (options: DeployOptions, command: Command) => {
      const ext = options.ext === undefined ? undefined : await readJsonInput(ctx, options.ext, 'the ext defaults');
      const body = {
        templateId: options.template,
        userVersion: options.version,
        userDesc: options.desc,
        ...(options.tenants ? { tenants: options.tenants } : {}),
        release: options.manualRelease ? 'manual' : 'auto',
        submitAudit: options.audit,
        ...(ext === undefined ? {} : { ext }),
        ...(options.supersede ? { supersede: true } : {}),
      } satisfies CreateDeploymentRequest;
      const created = await ctx.client(command).post<DeploymentCreated>('/api/deployments', body);
      // With --json --watch, the final deployment (which has the id) is the one JSON document printed.
      if (!(options.watch && ctx.wantsJson(command))) ctx.output(command, created, () => created.id);
      if (options.watch) await watchDeployment(ctx, command, created.id, false);
    });
}
