import { InvalidArgumentError, type Command } from 'commander';
import type { Draft, ReleaseProfileView, Template } from '../../shared/contract/operator-api';
import { ApiError, type ApiClient } from '../api-client';
import type { CliContext } from '../context';
import { json, table } from '../format';
import { readJsonInput } from './config';

export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

const day = (iso: string) => iso.slice(0, 10);

/**
 * The templates a draft already became. WeChat keeps no draft id on a template: like the API when
 * it looks for the template it just added, a template is the draft's when its version, description
 * and source mini-program are the draft's (and it was created no earlier than the draft).
 */
export async function templatesOfDraft(client: ApiClient, draftId: number): Promise<Template[]> {
  const [{ drafts }, { templates }] = await Promise.all([
    client.get<{ drafts: Draft[] }>('/api/templates/drafts'),
    client.get<{ templates: Template[] }>('/api/templates'),
  ]);
  const draft = drafts.find((d) => d.draftId === draftId);
  if (!draft) return [];
  return templates.filter(
    (t) =>
      t.userVersion === draft.userVersion &&
      t.userDesc === draft.userDesc &&
      (t.sourceMiniprogramAppid ?? '') === (draft.sourceMiniprogramAppid ?? '') &&
      Date.parse(t.createdAt) >= Date.parse(draft.createdAt),
  );
}

export function registerTemplates(program: Command, ctx: CliContext): void {
  const templates = program
    .command('templates')
    .description('list the code templates in the template library (subcommands: drafts, add, profile)')
    .action(async (_options: unknown, command: Command) => {
      const body = await ctx.client(command).get<{ templates: Template[] }>('/api/templates');
      ctx.output(command, body, () =>
        table(
          ['ID', 'VERSION', 'TYPE', 'CREATED', 'DESCRIPTION'],
          body.templates.map((t) => [t.templateId, t.userVersion, t.templateType === 1 ? 'standard' : 'normal', day(t.createdAt), t.userDesc]),
        ),
      );
    });

  templates
    .command('drafts')
    .description('list the drafts uploaded from the developer tool')
    .action(async (_options: unknown, command: Command) => {
      const body = await ctx.client(command).get<{ drafts: Draft[] }>('/api/templates/drafts');
      ctx.output(command, body, () =>
        table(
          ['DRAFT', 'VERSION', 'CREATED', 'DESCRIPTION'],
          body.drafts.map((d) => [d.draftId, d.userVersion, day(d.createdAt), d.userDesc]),
        ),
      );
    });

  templates
    .command('add')
    .description('add a draft to the template library')
    .argument('<draftId>', 'the draft to add', parseNonNegativeInteger)
    .option('--standard', 'add it as a standard template (ext_json limited to extAppid, ext, window)')
    .action(async (draftId: number, options: { standard?: boolean }, command: Command) => {
      const client = ctx.client(command);
      const already = await templatesOfDraft(client, draftId);
      if (already.length > 0) {
        // WeChat adds the same draft again as a new template; the operator most likely did not mean to.
        ctx.notice(
          `warning: draft ${draftId} is already in the library as template ${already.map((t) => t.templateId).join(', ')} ` +
            `(same version and description); adding it again makes another template`,
        );
      }
      const added = await client
        .post<Partial<Template> & { draftId?: number }>('/api/templates', { draftId, ...(options.standard ? { templateType: 1 } : {}) });
      ctx.output(command, added, () =>
        added.templateId === undefined ? `added draft ${draftId} to the template library` : `added draft ${draftId} as template ${added.templateId}`,
      );
    });

  templates
    .command('profile')
    .summary("print a template's release profile, or set it from a JSON file")
    .description(
      "a template's release profile: what its releases need from each mini-program (a privacy guide mpfleet applies where one is missing, " +
        'audit items per category, the privacy APIs its code calls, server domains). Without <file>, prints the stored one (JSON); ' +
        'with <file> (`-`: stdin), replaces it and prints what was saved',
    )
    .argument('<templateId>', 'the template', parseNonNegativeInteger)
    .argument('[file]', 'JSON file of the whole profile ({privacy, privacyApis, auditItems, domains})')
    .action(async (templateId: number, file: string | undefined, _options: unknown, command: Command) => {
      const path = `/api/templates/${templateId}/profile`;
      if (file === undefined) {
        const stored = await ctx
          .client(command)
          .get<ReleaseProfileView>(path)
          .catch((error: unknown) => {
            if (error instanceof ApiError && error.status === 404 && error.code === 'profile_not_found') {
              throw new ApiError(error.code, `template ${templateId} has no release profile yet; set one with: mpfleet templates profile ${templateId} profile.json`, 404);
            }
            throw error;
          });
        ctx.output(command, stored, () => json(stored.profile));
        return;
      }
      // Read and parsed before any request: a file that is not JSON is a usage error.
      const profile = await readJsonInput(ctx, file, 'the release profile');
      const saved = await ctx.client(command).put<ReleaseProfileView>(path, profile);
      ctx.output(command, saved, () => `saved the release profile of template ${saved.templateId} (${saved.updatedAt}):\n${json(saved.profile)}`);
    });
}
