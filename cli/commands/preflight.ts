import type { Command } from 'commander';
import { requireOptions, type CliContext } from '../context';
import { preflightReport } from '../gates';
import { deploymentOptions, deploymentRequest, runPreflight, type DeployOptions } from './deploy';

/**
 * The body needs a version and a description; neither changes a gate, so the preflight sends these
 * when none is given.
 */
const PREFLIGHT_DEFAULTS = { version: '0.0.0', desc: 'preflight' };

export function registerPreflight(program: Command, ctx: CliContext): void {
  const preflight = deploymentOptions(
    program
      .command('preflight')
      .summary("which tenants a deploy would reach, which WeChat's release gates block (and the fix), and the audit quota")
      .description(
        'what `mpfleet deploy` with the same options would meet, without deploying: the tenants a release gate blocks (ICP filing, privacy guide, ' +
          'basic info, categories, privacy APIs) with each blocker\'s fix, the counts, and the audit quota. Only read calls reach WeChat; exit 0 whatever it finds',
      ),
  );
  requireOptions(preflight, 'template').action(async (options: DeployOptions, command: Command) => {
    const body = await deploymentRequest(ctx, options, PREFLIGHT_DEFAULTS);
    const result = await runPreflight(ctx.client(command), body);
    ctx.output(command, result, () => preflightReport(result));
  });
}
