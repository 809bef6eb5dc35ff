/**
 * A tenant's profile at WeChat (issue #18): `basic-info` sets its name, avatar and introduction (or
 * shows them, with the rename WeChat reviews), `categories` lists its service categories with their
 * review state, WeChat's catalogue, and adds or removes one (a sensitive one with its documents).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { TenantView } from '../../shared/contract/operator-api';
import { ApiError } from '../api-client';
import { UsageError, type CliContext } from '../context';
import { readImageDataUrl } from '../images';
import { basicInfoReport, catalogueReport, categoriesReport, pairOf, parseCategoryPair, type BasicInfoResult, type CategoriesView } from '../onboarding';
import { APPID } from './keys';

const tenantPath = (appid: string) => `/api/tenants/${encodeURIComponent(appid)}`;

function checkAppid(appid: string): string {
  if (!APPID.test(appid)) throw new UsageError(`"${appid}" is not an appid (wx followed by 16 hex digits, as \`mpfleet tenants\` lists them)`);
  return appid;
}

function parseIntro(value: string): string {
  const trimmed = value.trim();
  const length = [...trimmed].length;
  if (length < 4 || length > 120) throw new InvalidArgumentError(`the introduction must be 4 to 120 characters, got ${length}`);
  return trimmed;
}

function parseNickname(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new InvalidArgumentError('must not be empty');
  if ([...trimmed].length > 30) throw new InvalidArgumentError('must be at most 30 characters');
  return trimmed;
}

function parsePair(value: string): { first: number; second: number } {
  const pair = parseCategoryPair(value);
  if (!pair) throw new InvalidArgumentError(`"${value}" is not <first>:<second> (two category ids, e.g. 287:612, as --available lists them)`);
  return pair;
}

/** `--doc "<document name>=<file>"`, repeatable: the name as the catalogue gives it, an image file. */
function collectDoc(value: string, previous: { name: string; file: string }[] = []): { name: string; file: string }[] {
  const at = value.indexOf('=');
  const name = at < 0 ? '' : value.slice(0, at).trim();
  const file = at < 0 ? '' : value.slice(at + 1).trim();
  if (!name || !file) throw new InvalidArgumentError(`"${value}" is not "<document name>=<image file>" (the name as \`--available\` lists it)`);
  if (previous.some((doc) => doc.name === name)) throw new InvalidArgumentError(`the document "${name}" is given twice`);
  return [...previous, { name, file }];
}

/** The API's field names, so its validation errors name the flag typed. */
const BASIC_INFO_FLAGS: Record<string, string> = { nickName: '--nickname', avatar: '--avatar', signature: '--intro', 'nicknameMaterials.license': '--license', 'nicknameMaterials.idCard': '--id-card' };

function basicInfoErrors(error: unknown): never {
  if (error instanceof ApiError && error.code === 'validation_failed') {
    const match = /^([A-Za-z]+(?:\.(?:license|idCard))?): ([\s\S]*)$/.exec(error.message);
    const flag = match && BASIC_INFO_FLAGS[match[1]!];
    if (match && flag) throw new ApiError(error.code, `${flag}: ${match[2]}`, error.status);
  }
  if (error instanceof ApiError && error.code === 'nickname_needs_materials') {
    throw new ApiError(error.code, `${error.message} (with the CLI: --license <image>, or --id-card <image> for an individual)`, error.status);
  }
  throw error;
}

function categoryErrors(error: unknown): never {
  if (error instanceof ApiError && error.code === 'qualifications_missing') throw new ApiError(error.code, `${error.message} (give each: --doc "<name>=<image file>")`, error.status);
  throw error;
}

interface BasicInfoOptions {
  nickname?: string;
  avatar?: string;
  intro?: string;
  license?: string;
  idCard?: string;
}

/** The tenant's current name, avatar and introduction (as the last readiness read them), and its rename under review. */
function currentBasicInfo(tenant: TenantView): string {
  const basic = tenant.readiness?.basicInfo;
  const rows: [string, string][] = [
    ['name', tenant.nickName || basic?.nickName || '(not set)'],
    ['avatar', tenant.headImg || basic?.headImage || '(not set)'],
    ['introduction', basic?.signature || '(not set)'],
  ];
  const lines = [`${tenant.appid}: basic info${tenant.readiness ? `, as read ${new Date(tenant.readiness.checkedAtMs).toISOString()}` : ' (its readiness was never read: `mpfleet readiness --refresh` reads it)'}`];
  lines.push(...rows.map(([label, value]) => `  ${label.padEnd(12)}  ${value}`));
  if (basic && !basic.complete) lines.push(`  missing       ${basic.missing.join(', ')}`);
  const audit = tenant.nicknameAudit;
  if (audit) {
    const how =
      audit.state === 'in_review'
        ? 'in review at WeChat: its decision is pushed'
        : audit.state === 'approved'
          ? 'approved'
          : `rejected: ${audit.reason || 'WeChat gave no reason'}`;
    lines.push(`rename to "${audit.nickname}"${audit.auditId !== undefined ? ` (audit ${audit.auditId})` : ''}: ${how}, ${audit.at}`);
  }
  return lines.join('\n');
}

export function registerTenantProfile(program: Command, ctx: CliContext): void {
  program
    .command('basic-info')
    .description("set a tenant's name, avatar and introduction at WeChat (without options: show them, with a rename WeChat reviews)")
    .argument('<appid>')
    .option('--nickname <name>', 'the new name (a protected keyword needs --license or --id-card, and WeChat reviews it)', parseNickname)
    .option('--avatar <file>', 'the avatar image (PNG, JPEG, GIF or BMP, at most 300 KB)')
    .option('--intro <text>', 'the introduction (功能介绍), 4 to 120 characters', parseIntro)
    .option('--license <file>', 'business licence image proving the name')
    .option('--id-card <file>', "an individual's id card image proving the name")
    .action(async (appid: string, options: BasicInfoOptions, command: Command) => {
      checkAppid(appid);
      const proof = options.license !== undefined || options.idCard !== undefined;
      const changes = options.nickname !== undefined || options.avatar !== undefined || options.intro !== undefined;
      if (proof && options.nickname === undefined) throw new UsageError('--license and --id-card prove a name: they go with --nickname');
      const client = ctx.client(command);
      if (!changes) {
        const tenant = await client.get<TenantView>(tenantPath(appid));
        ctx.output(command, tenant, () => currentBasicInfo(tenant));
        return;
      }
      const body: Record<string, unknown> = {};
      if (options.nickname !== undefined) body.nickName = options.nickname;
      if (options.avatar !== undefined) body.avatar = await readImageDataUrl(options.avatar, '--avatar');
      if (options.intro !== undefined) body.signature = options.intro;
      if (proof) {
        body.nicknameMaterials = {
          ...(options.license !== undefined ? { license: await readImageDataUrl(options.license, '--license') } : {}),
          ...(options.idCard !== undefined ? { idCard: await readImageDataUrl(options.idCard, '--id-card') } : {}),
        };
      }
      const result = await client.put<BasicInfoResult>(`${tenantPath(appid)}/basic-info`, body).catch(basicInfoErrors);
      ctx.output(command, result, () => basicInfoReport(appid, result));
    });

  program
    .command('categories')
    .description("a tenant's service categories with their review state (--available: WeChat's catalogue; --add, --remove: change them)")
    .argument('<appid>')
    .option('--available', "also list WeChat's catalogue for it: which categories need a review, and their documents")
    .option('--add <first:second>', 'add this category (one that needs review: with its --doc documents)', parsePair)
    .option('--doc <name=file>', 'a document the added category needs, by the name --available gives (repeatable)', collectDoc)
    .option('--remove <first:second>', 'remove this category (not while WeChat reviews it)', parsePair)
    .action(async (appid: string, options: { available?: boolean; add?: { first: number; second: number }; doc?: { name: string; file: string }[]; remove?: { first: number; second: number } }, command: Command) => {
      checkAppid(appid);
      if (options.add && options.remove) throw new UsageError('--add and --remove: one change at a time');
      if (options.doc && !options.add) throw new UsageError('--doc gives a document of the category --add adds: it goes with --add');
      if (options.available && (options.add || options.remove)) throw new UsageError('--available lists the catalogue: run it without --add or --remove');
      const client = ctx.client(command);
      const path = `${tenantPath(appid)}/categories`;
      if (options.add) {
        const qualifications = [];
        for (const doc of options.doc ?? []) qualifications.push({ name: doc.name, image: await readImageDataUrl(doc.file, `--doc "${doc.name}"`) });
        const category = { ...options.add, ...(qualifications.length ? { qualifications } : {}) };
        const view = await client.post<CategoriesView>(path, { categories: [category] }).catch(categoryErrors);
        const added = view.categories.find((c) => c.first === options.add!.first && c.second === options.add!.second);
        const what = added ? `${added.firstName} > ${added.secondName} (${pairOf(added)}): ${added.state === 'in_review' ? 'in review at WeChat, which pushes its decision' : added.state}` : pairOf(options.add);
        ctx.output(command, view, () => `added ${what}\n\n${categoriesReport(appid, view)}`);
        return;
      }
      if (options.remove) {
        const { first, second } = options.remove;
        const view = await client.delete<CategoriesView>(`${path}?first=${first}&second=${second}`);
        ctx.output(command, view, () => `removed ${first}:${second}\n\n${categoriesReport(appid, view)}`);
        return;
      }
      const view = await client.get<CategoriesView>(path, { catalogue: options.available ? 'true' : undefined });
      ctx.output(command, view, () => (options.available ? `${categoriesReport(appid, view)}\n\navailable:\n${catalogueReport(view)}` : categoriesReport(appid, view)));
    });
}
