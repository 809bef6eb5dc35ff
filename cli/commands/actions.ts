import { InvalidArgumentError, type Command } from 'commander';
import type { ActionAccepted, BulkAction, CancelRequest, ReleaseRequest, RetryRequest } from '../../shared/contract/operator-api';
import { UsageError, type CliContext } from '../context';
import { readJsonInput } from './config';

/**
 * The operator actions on a deployment: each one POST /api/deployments/{id}/{action}, answered
 * 202 at once while the queue applies it to every target. What the CLI can check (a percentage,
 * the shape of an audit-items file) it checks before sending; whether the action applies to the
 * deployment's targets is the API's call: a 409 (`nothing_to_release`, `gray_not_wider`,
 * `wave_not_settled`, `last_wave_open`, …) prints as any API error does, and exits 1. `advance` and
 * `resume` move a staged rollout (deploy --waves) on to its next wave.
 */

export function parsePercent(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100) throw new InvalidArgumentError('must be a whole percentage from 1 to 100');
  return n;
}

/** The API's (and WeChat's) bound on feedback_info. */
const FEEDBACK_MAX = 1000;
/** WeChat's submit_audit takes at most 5 audit items. */
const AUDIT_ITEMS_MAX = 5;

function parseFeedback(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  if (value.length > FEEDBACK_MAX) throw new InvalidArgumentError(`must be at most ${FEEDBACK_MAX} characters`);
  return value;
}

/** An audit-items file: a JSON array of 1 to 5 objects of strings and numbers, like deploy's `auditItems`. */
async function readAuditItems(ctx: CliContext, file: string): Promise<RetryRequest['auditItems']> {
  const items = await readJsonInput(ctx, file, 'the audit items');
  const where = file === '-' ? 'stdin' : file;
  if (!Array.isArray(items) || items.length < 1 || items.length > AUDIT_ITEMS_MAX) {
    throw new UsageError(`the audit items in ${where} must be a JSON array of 1 to ${AUDIT_ITEMS_MAX} objects`);
  }
  for (const [i, item] of items.entries()) {
    const fields = item !== null && typeof item === 'object' && !Array.isArray(item) ? Object.values(item as object) : undefined;
    if (!fields || fields.some((value) => typeof value !== 'string' && typeof value !== 'number')) {
      throw new UsageError(`audit item ${i + 1} in ${where} must be an object of strings and numbers (e.g. {"address":"pages/index/index","tag":"shop"})`);
    }
  }
  return items as RetryRequest['auditItems'];
}

const ID_ARGUMENT = ['<id>', 'deployment id (d-…)'] as const;

/** Sends the action and prints what was asked, `<what> requested for <id>[; <then>]` (with --json, the API's answer). */
async function requestAction(ctx: CliContext, command: Command, id: string, action: BulkAction, body: object | undefined, what: string, then?: string): Promise<void> {
  const accepted = await ctx.client(command).post<ActionAccepted>(`/api/deployments/${encodeURIComponent(id)}/${action}`, body);
  ctx.output(command, accepted, () => `${what} requested for ${id}${then ? `; ${then}` : ''}`);
}

const WITHDRAWING = 'audits under review will be withdrawn';

interface RetryOptions {
  feedback?: string;
  auditItems?: string;
}

async function retry(ctx: CliContext, command: Command, id: string, options: RetryOptions, what: string): Promise<void> {
  const auditItems = options.auditItems === undefined ? undefined : await readAuditItems(ctx, options.auditItems);
  const body: RetryRequest = {
    ...(options.feedback !== undefined ? { feedbackInfo: options.feedback } : {}),
    ...(auditItems ? { auditItems } : {}),
  };
  await requestAction(ctx, command, id, 'retry', Object.keys(body).length ? body : undefined, what);
}

function retryOptions(command: Command): Command {
  return command
    .option('--feedback <text>', "for WeChat's reviewer: sent with each rejected target's resubmission (feedback_info)", parseFeedback)
    .option('--audit-items <file.json>', 'JSON array of 1 to 5 audit items (WeChat\'s item_list: address, tag, first_class, …) replacing the deployment\'s for the resubmission; `-` reads stdin');
}

export function registerActions(program: Command, ctx: CliContext): void {
  program
    .command('release')
    .summary('release approved targets: fully, or --gray <percent> (widen: a larger percent; complete: no --gray)')
    .description('release approved targets of a --manual-release deployment: with --gray, to a share of users (again with a larger share: widen); without, fully online (completes a running gray release)')
    .argument(...ID_ARGUMENT)
    .option('--gray <percent>', 'gray release to this percentage of users (1 to 100); only a larger one widens a running gray release', parsePercent)
    .action(async (id: string, options: { gray?: number }, command: Command) => {
      const body: ReleaseRequest | undefined = options.gray === undefined ? undefined : { grayPercentage: options.gray };
      await requestAction(ctx, command, id, 'release', body, options.gray === undefined ? 'release' : `gray release to ${options.gray}%`);
    });

  program
    .command('revert-gray')
    .summary('revert the gray release: gray targets go back to approved')
    .description('revert the gray release: gray targets go back to approved, the previous version serves every user; release again when ready')
    .argument(...ID_ARGUMENT)
    .action(async (id: string, _options: unknown, command: Command) => {
      await requestAction(ctx, command, id, 'revert-gray', undefined, 'revert-gray');
    });

  retryOptions(
    program
      .command('retry')
      .summary('failed targets resume; rejected ones are resubmitted for audit')
      .description('failed targets resume from the step that failed; rejected targets are resubmitted for audit (see resubmit)')
      .argument(...ID_ARGUMENT),
  ).action(async (id: string, options: RetryOptions, command: Command) => retry(ctx, command, id, options, 'retry'));

  retryOptions(
    program
      .command('resubmit')
      .summary('retry, named for rejected targets: resubmit them for audit [--feedback <text>]')
      .description('the same as retry, named for rejected targets: fix what the audit rejected, then resubmit them (with --feedback for the reviewer); failed targets resume too')
      .argument(...ID_ARGUMENT),
  ).action(async (id: string, options: RetryOptions, command: Command) => retry(ctx, command, id, options, 'resubmit'));

  program
    .command('cancel')
    .summary('stop the deployment [--withdraw-audits]')
    .description('stop the deployment: targets not yet under audit are cancelled, steps in flight finish, audits under review end cancelled when decided')
    .argument(...ID_ARGUMENT)
    .option('--withdraw-audits', 'also withdraw audits under review (undocodeaudit: WeChat allows only a few a month)')
    .action(async (id: string, options: { withdrawAudits?: boolean }, command: Command) => {
      const body: CancelRequest | undefined = options.withdrawAudits ? { withdrawAudits: true } : undefined;
      await requestAction(ctx, command, id, 'cancel', body, 'cancel', options.withdrawAudits ? WITHDRAWING : undefined);
    });

  program
    .command('withdraw')
    .summary('cancel --withdraw-audits: stop and withdraw the audits under review')
    .description('cancel --withdraw-audits: stop the deployment and withdraw its audits under review (undocodeaudit: WeChat allows only a few a month)')
    .argument(...ID_ARGUMENT)
    .action(async (id: string, _options: unknown, command: Command) => {
      await requestAction(ctx, command, id, 'cancel', { withdrawAudits: true } satisfies CancelRequest, 'cancel', WITHDRAWING);
    });

  program
    .command('advance')
    .summary('a staged rollout (deploy --waves): open the next wave, once the open one settled')
    .description(
      'a staged rollout (deploy --waves, advancing manually): open the next wave once every target of the open one is released or ended, ' +
        'audit quota permitting (else it waits for quota, visibly in status). Refused (409) while the wave is still deploying (wave_not_settled), ' +
        'when it is halted (rollout_halted: resume, rollback or cancel) and when every wave is open (last_wave_open)',
    )
    .argument(...ID_ARGUMENT)
    .action(async (id: string, _options: unknown, command: Command) => {
      await requestAction(ctx, command, id, 'advance', undefined, 'advance', `follow it with \`mpfleet status ${id} --watch\``);
    });

  program
    .command('resume')
    .summary('a halted staged rollout: go on past the halt (retry resubmits the failed and rejected)')
    .description(
      'a staged rollout halted by --halt-when: accept the halted wave\'s failures and go on: the wave does not halt again, and the next wave opens ' +
        'once it has settled. Its failed and rejected targets stay so: `mpfleet retry <id>` resubmits them. Refused (409) unless the rollout is halted (not_halted)',
    )
    .argument(...ID_ARGUMENT)
    .action(async (id: string, _options: unknown, command: Command) => {
      await requestAction(ctx, command, id, 'resume', undefined, 'resume', `the next wave opens once the halted one settled; \`mpfleet retry ${id}\` resubmits its failed and rejected targets`);
    });

  program
    .command('rollback')
    .summary('released targets return to their previous version')
    .description('roll back: released targets return to their previous online version, gray targets revert their gray release')
    .argument(...ID_ARGUMENT)
    .action(async (id: string, _options: unknown, command: Command) => {
      await requestAction(ctx, command, id, 'rollback', undefined, 'rollback');
    });
}
