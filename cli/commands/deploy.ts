import type { Command } from 'commander';
import type { CreateDeploymentRequest, DeploymentCreated } from '../../shared/contract/operator-api';
import { ApiError } from '../api-client';
import { requireOptions, type CliContext } from '../context';
import { readJsonInput } from './config';
import { watchDeployment } from './status';
import { parseNonNegativeInteger } from './templates';

const parseList = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

/** The API's names for what deploy's flags set, so its validation errors can name the flag the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  templateId: '--template',
  userVersion: '--version',
  userDesc: '--desc',
  tenants: '--tenants',
  ext: '--ext',
  release: '--manual-release',
  submitAudit: '--no-audit',
  supersede: '--supersede',
};

/**
 * `userVersion: Too big…` → `--version: Too big…`; `tenants.2: must be an appid` → `--tenants (the
 * 3rd appid): …`; `ext.window.x: …` → `--ext file: window.x: …`. Other messages pass unchanged.
 */
export function messageWithFlags(message: string): string {
  const match = /^([A-Za-z]+)((?:\.[^\s:]+)*): ([\s\S]*)$/.exec(message);
  const flag = match && FLAG_OF_FIELD[match[1]!];
  if (!match || !flag) return message;
  const [, , rest, text] = match;
  const path = rest!.slice(1);
  if (path === '') return `${flag}: ${text}`;
  if (flag === '--tenants' && /^\d+$/.test(path)) return `${flag} (appid ${Number(path) + 1} in the list): ${text}`;
  if (flag === '--ext') return `${flag} file: ${path}: ${text}`;
  return `${flag} (${path}): ${text}`;
}

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
  const deploy = program
    .command('deploy')
    .description('commit a template to the fleet (then submit for audit and release); prints the deployment id')
    .option('--template <id>', 'template id from `mpfleet templates`', parseNonNegativeInteger)
    .option('--version <version>', 'user_version to commit, e.g. 2.0.0')
    .option('--desc <text>', 'user_desc: what changed')
    .option('--tenants <appids>', 'comma-separated appids (default: every active tenant)', parseList)
    .option('--manual-release', 'stop at approved; release later with `mpfleet release <id>`')
    .option('--no-audit', 'commit only: do not submit for audit')
    .option('--ext <file>', 'JSON file of deploy-wide ext_json defaults, under each tenant\'s own configuration')
    .option('--supersede', 'take tenants over from a deployment still mid-lifecycle there (its target is cancelled, its audit withdrawn) instead of waiting for it')
    .option('--watch', 'then follow it like `mpfleet status <id> --watch`');
  // Required, but a typo'd option is reported before a missing one.
  requireOptions(deploy, 'template', 'version', 'desc').action(async (options: DeployOptions, command: Command) => {
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
      const created = await ctx
        .client(command)
        .post<DeploymentCreated>('/api/deployments', body)
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.code === 'validation_failed') throw new ApiError(error.code, messageWithFlags(error.message), error.status);
          throw error;
        });
      // With --json --watch, the final deployment (which has the id) is the one JSON document printed.
      if (!(options.watch && ctx.wantsJson(command))) ctx.output(command, created, () => created.id);
      if (options.watch) await watchDeployment(ctx, command, created.id, false);
    });
}
