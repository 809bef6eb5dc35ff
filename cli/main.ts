import { Command, CommanderError } from 'commander';
import { ApiError } from './api-client';
import { registerActions } from './commands/actions';
import { registerAuthLink } from './commands/auth-link';
import { registerConfig } from './commands/config';
import { registerDeploy } from './commands/deploy';
import { registerDeployments } from './commands/deployments';
import { registerKeys } from './commands/keys';
import { registerPreflight } from './commands/preflight';
import { registerReadiness } from './commands/readiness';
import { registerRegistrations } from './commands/registrations';
import { registerStatus } from './commands/status';
import { registerTemplates } from './commands/templates';
import { registerTenantProfile } from './commands/tenant-profile';
import { registerTenants } from './commands/tenants';
import { CliContext, DEFAULT_URL, UsageError } from './context';
import { stripControls } from './format';
import { processIo, type CliIo } from './io';

export const EXIT_OK = 0;
export const EXIT_API_ERROR = 1;
export const EXIT_USAGE = 2;

const HELP_FOOTER = `
Configuration:
  MPFLEET_URL    the mpfleet API (default ${DEFAULT_URL}, the stack \`npm start\` runs); --url overrides
  MPFLEET_TOKEN  the operator token (\`npm start\` prints it); --token overrides

Deployment actions (release, revert-gray, retry/resubmit, cancel/withdraw, rollback, and advance/resume
for a staged rollout) answer at once: follow with \`mpfleet status <id> --watch\`. One that cannot apply
now is refused by the API (409, e.g. nothing_to_release, gray_not_wider, wave_not_settled,
last_wave_open): its message says why, and the exit code is 1.

Staged rollouts: deploy --waves 5,25,100 [--pilot a,b] [--advance manual|<minutes>] [--halt-when <percent>]
deploys wave by wave, each released before the next opens; status shows one line per wave and what
the rollout waits for (mpfleet advance <id>; after a halt, mpfleet resume <id>, rollback or cancel).

Exit codes:
  0  done
  1  the API answered an error (e.g. unknown_tenants), or could not be reached (stderr: "error: <code>: <message>")
  2  usage error: unknown command or option, bad value, unreadable or non-JSON file; deploy past
     blocked tenants without a terminal and without --yes
  3  status --watch / deploy --watch: the deployment settled with failed, blocked or rejected targets
  4  status --watch / deploy --watch: nothing was deployed (no targets, or every target skipped)
  5  readiness: the tenant is blocked by a release gate (or was never checked);
     deploy: you answered no when the preflight found blocked tenants or a short audit quota
  6  status --watch / deploy --watch: a staged rollout stopped between waves, waiting for the
     operator (advance, resume after a halt, a manual release) or for audit quota (before 3 and 4:
     the deployment is not over)

Merchants without a mini-program: register enterprise|personal|trial creates one (fast registration),
with onboarding options (--nickname, --avatar, --intro, --category, --config, --privacy) applied once it
exists; registrations [show|search|retry] follows them; basic-info and categories change a tenant's
name, avatar, introduction and service categories at WeChat.

Release gates: \`mpfleet preflight\` (the same options as deploy) lists the tenants WeChat would refuse
and why. deploy runs it first and asks before deploying past blocked tenants; without a terminal it
needs --yes (else exit 2).

--watch rides out a restart of the API: "API unreachable, retrying…" until it answers again
(exit 1 after 5 minutes without an answer).`;

function buildProgram(ctx: CliContext): Command {
  const program = new Command('mpfleet')
    .description('operate an mpfleet platform: tenants, their configuration, templates and fleet deployments')
    .option('--url <url>', 'mpfleet API base URL')
    .option('--token <token>', 'operator bearer token')
    .option('--json', 'print the raw JSON answer (for scripts)')
    // In-process: commander must throw instead of exiting, and write where the caller says.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      getOutHelpWidth: () => ctx.io.stdout.columns ?? 80,
      getErrHelpWidth: () => ctx.io.stderr.columns ?? 80,
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', HELP_FOOTER);

  registerAuthLink(program, ctx);
  registerTenants(program, ctx);
  registerConfig(program, ctx);
  registerTemplates(program, ctx);
  registerReadiness(program, ctx);
  registerPreflight(program, ctx);
  registerDeploy(program, ctx);
  registerStatus(program, ctx);
  registerDeployments(program, ctx);
  registerActions(program, ctx);
  registerKeys(program, ctx);
  registerRegistrations(program, ctx);
  registerTenantProfile(program, ctx);
  return program;
}

/** Runs one CLI invocation (`argv` without node and the script) and resolves to its exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already wrote its message (or the help) to the chosen stream.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${stripControls(error.message)}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ApiError) {
      io.stderr.write(`error: ${stripControls(error.code)}: ${oneLine(error.message)}\n`);
      return EXIT_API_ERROR;
    }
    io.stderr.write(`error: internal: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT_API_ERROR;
  }
}

/** API and WeChat text on one line, with nothing a terminal would act on. */
const oneLine = (text: string) => stripControls(text.replace(/\s*\n\s*/g, ' '));

/** The process entry point: `bin.ts` calls it, so importing this module (as the tests do) runs nothing. */
export async function main(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), processIo());
}
