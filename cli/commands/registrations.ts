/**
 * Fast registration (快速注册, issue #18): `register` creates a mini-program for a merchant who has
 * none — an enterprise, a person, or a trial mini-program — optionally with an onboarding plan
 * mpfleet applies once it exists (name, avatar, introduction, categories, privacy guide, its
 * configuration); `registrations` follows them, asks WeChat about one, and retries failed steps.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ApiError } from '../api-client';
import { requireOptions, UsageError, type CliContext } from '../context';
import { readImageDataUrl } from '../images';
import {
  parseCategoryPair,
  REGISTRATION_ID,
  REGISTRATION_STATUS_NAMES,
  registrationReport,
  registrationsTable,
  type RegistrationView,
  type SearchedRegistration,
} from '../onboarding';
import { readJsonInput } from './config';

/** The API's field names for what register's flags set, so its validation errors name the flag typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  name: '--name',
  code: '--code',
  code_type: '--code-type',
  legal_persona_wechat: '--legal-wechat',
  legal_persona_name: '--legal-name',
  component_phone: '--phone',
  idname: '--idname',
  wxuser: '--wxuser',
  openid: '--openid',
  nickName: '--nickname',
  avatar: '--avatar',
  signature: '--intro',
  categories: '--category',
  privacy: '--privacy',
  config: '--config',
  'nicknameMaterials.license': '--license',
  'nicknameMaterials.idCard': '--id-card',
};

/**
 * `legal_persona_wechat: …` → `--legal-wechat: …`; `onboarding.signature: …` → `--intro: …`;
 * `categories.1.first: …` → `--category (the 2nd): …`; `onboarding.config.window.x: …` → `--config
 * file: window.x: …`. Other messages pass unchanged.
 */
export function registrationMessageWithFlags(message: string): string {
  const match = /^(?:onboarding\.)?([A-Za-z_]+(?:\.(?:license|idCard))?)((?:\.[^\s:]+)*): ([\s\S]*)$/.exec(message);
  const flag = match && FLAG_OF_FIELD[match[1]!];
  if (!match || !flag) return message;
  const path = match[2]!.slice(1);
  const text = match[3]!;
  if (path === '') return `${flag}: ${text}`;
  if (flag === '--category') {
    const [index, ...rest] = path.split('.');
    return `${flag} (the ${ordinal(Number(index) + 1)})${rest.length ? ` ${rest.join('.')}` : ''}: ${text}`;
  }
  if (flag === '--config' || flag === '--privacy') return `${flag} file: ${path}: ${text}`;
  return `${flag} (${path}): ${text}`;
}

const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

function withFlagNames(error: unknown): never {
  if (error instanceof ApiError && error.code === 'validation_failed') throw new ApiError(error.code, registrationMessageWithFlags(error.message), error.status);
  throw error;
}

/** The bounds the API holds a registration to, checked before any request so WeChat starts nothing. */
const text = (max: number) => (value: string) => {
  const trimmed = value.trim();
  if (trimmed === '') throw new InvalidArgumentError('must not be empty');
  if ([...trimmed].length > max) throw new InvalidArgumentError(`must be at most ${max} characters`);
  return trimmed;
};

function parseCodeType(value: string): 1 | 2 | 3 {
  if (!/^[123]$/.test(value.trim())) throw new InvalidArgumentError('must be 1 (unified social credit code, 18 characters), 2 (organisation code) or 3 (business licence number, 15 digits)');
  return Number(value) as 1 | 2 | 3;
}

function parseIntro(value: string): string {
  const trimmed = value.trim();
  const length = [...trimmed].length;
  if (length < 4 || length > 120) throw new InvalidArgumentError(`the introduction must be 4 to 120 characters, got ${length}`);
  return trimmed;
}

export function collectCategory(value: string, previous: { first: number; second: number }[] = []): { first: number; second: number }[] {
  const pair = parseCategoryPair(value);
  if (!pair) throw new InvalidArgumentError(`"${value}" is not <first>:<second> (two category ids, e.g. 287:612; \`mpfleet categories <appid> --available\` lists them)`);
  if (previous.some((c) => c.first === pair.first && c.second === pair.second)) throw new InvalidArgumentError(`${value} is named twice`);
  if (previous.length >= 5) throw new InvalidArgumentError('at most 5 categories');
  return [...previous, pair];
}

interface OnboardingOptions {
  nickname?: string;
  avatar?: string;
  intro?: string;
  license?: string;
  idCard?: string;
  category?: { first: number; second: number }[];
  config?: string;
  privacy?: string;
}

/** The onboarding options every kind takes: what mpfleet applies once the mini-program exists. */
function withOnboardingOptions(command: Command): Command {
  return command
    .option('--nickname <name>', "the mini-program's name, set once it exists (WeChat may review it)", text(30))
    .option('--avatar <file>', 'avatar image (PNG, JPEG, GIF or BMP, at most 300 KB)')
    .option('--intro <text>', 'introduction (功能介绍), 4 to 120 characters', parseIntro)
    .option('--license <file>', 'business licence image, for a name WeChat reviews (a protected keyword)')
    .option('--id-card <file>', "the individual's id card image, for a name WeChat reviews")
    .option('--category <first:second>', 'a service category by its ids (repeatable, at most 5; categories needing documents: `mpfleet categories <appid> --add` once it exists)', collectCategory)
    .option('--config <file>', "the tenant's ext_json fragment (JSON), as `mpfleet config set` takes it")
    .option('--privacy <file>', 'a privacy guide (JSON: WeChat\'s setprivacysetting body, {owner_setting, setting_list})');
}

/** The plan from the options, files read and checked; undefined when no option asks for onboarding. */
async function onboardingPlan(ctx: CliContext, options: OnboardingOptions): Promise<Record<string, unknown> | undefined> {
  if ((options.license || options.idCard) && options.nickname === undefined) throw new UsageError('--license and --id-card prove a name: they go with --nickname');
  const plan: Record<string, unknown> = {};
  if (options.nickname !== undefined) plan.nickName = options.nickname;
  if (options.avatar !== undefined) plan.avatar = await readImageDataUrl(options.avatar, '--avatar');
  if (options.intro !== undefined) plan.signature = options.intro;
  if (options.license !== undefined || options.idCard !== undefined) {
    plan.nicknameMaterials = {
      ...(options.license !== undefined ? { license: await readImageDataUrl(options.license, '--license') } : {}),
      ...(options.idCard !== undefined ? { idCard: await readImageDataUrl(options.idCard, '--id-card') } : {}),
    };
  }
  if (options.category) plan.categories = options.category;
  if (options.config !== undefined) plan.config = await jsonObject(ctx, options.config, '--config');
  if (options.privacy !== undefined) plan.privacy = await jsonObject(ctx, options.privacy, '--privacy');
  return Object.keys(plan).length > 0 ? plan : undefined;
}

async function jsonObject(ctx: CliContext, file: string, flag: string): Promise<Record<string, unknown>> {
  const value = await readJsonInput(ctx, file, `${flag}'s JSON`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${flag}: ${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

function checkRegistrationId(id: string): string {
  if (!REGISTRATION_ID.test(id)) throw new UsageError(`"${id}" is not a registration id (r-…, as \`mpfleet registrations\` lists them)`);
  return id;
}

const registrationPath = (id: string) => `/api/registrations/${encodeURIComponent(id)}`;

export function registerRegistrations(program: Command, ctx: CliContext): void {
  const register = program
    .command('register')
    .description('create a mini-program for a merchant who has none (fast registration), optionally onboarded once it exists (subcommands: enterprise, personal, trial)')
    .addHelpText(
      'after',
      '\nThe person named confirms in WeChat within 24 h (the legal representative with face verification, the user, or the trial\'s founder);' +
        '\nthe new mini-program then becomes a tenant and mpfleet applies the onboarding options. Follow it with `mpfleet registrations show <id>`.',
    );

  const send = async (command: Command, body: Record<string, unknown>, options: OnboardingOptions) => {
    const onboarding = await onboardingPlan(ctx, options);
    const client = ctx.client(command);
    const registration = await client.post<RegistrationView>('/api/registrations', { ...body, ...(onboarding ? { onboarding } : {}) }).catch(withFlagNames);
    ctx.output(command, registration, () => registrationReport(registration));
  };

  requireOptions(
    withOnboardingOptions(
      register
        .command('enterprise')
        .description("a company's mini-program: its legal representative confirms in WeChat with face verification")
        .option('--name <name>', "the company's registered name", text(100))
        .option('--code <code>', 'its code: the unified social credit code (code type 1), organisation code (2) or business licence number (3)', text(32))
        .option('--code-type <n>', '1 unified social credit code, 2 organisation code, 3 business licence number', parseCodeType)
        .option('--legal-wechat <wechat-id>', "the legal representative's WeChat ID", text(64))
        .option('--legal-name <name>', "the legal representative's real name", text(64))
        .option('--phone <phone>', 'a phone number WeChat may call the platform on (component_phone)'),
    ).action(async (options: OnboardingOptions & { name: string; code: string; codeType: 1 | 2 | 3; legalWechat: string; legalName: string; phone?: string }, command: Command) => {
      await send(
        command,
        {
          kind: 'enterprise',
          name: options.name,
          code: options.code,
          code_type: options.codeType,
          legal_persona_wechat: options.legalWechat,
          legal_persona_name: options.legalName,
          ...(options.phone ? { component_phone: options.phone } : {}),
        },
        options,
      );
    }),
    'name',
    'code',
    'codeType',
    'legalWechat',
    'legalName',
  );

  requireOptions(
    withOnboardingOptions(
      register
        .command('personal')
        .description("an individual's mini-program: the user confirms at the link WeChat gives")
        .option('--idname <name>', "the person's real name", text(64))
        .option('--wxuser <wechat-id>', "the person's WeChat ID", text(64))
        .option('--phone <phone>', 'a phone number WeChat may call the platform on (component_phone)'),
    ).action(async (options: OnboardingOptions & { idname: string; wxuser: string; phone?: string }, command: Command) => {
      await send(command, { kind: 'personal', idname: options.idname, wxuser: options.wxuser, ...(options.phone ? { component_phone: options.phone } : {}) }, options);
    }),
    'idname',
    'wxuser',
  );

  requireOptions(
    withOnboardingOptions(
      register
        .command('trial')
        .description('a trial mini-program (试用小程序), named "<name>的体验小程序": its founder confirms at the link WeChat gives')
        .option('--name <name>', 'its name (WeChat adds 的体验小程序)', text(30))
        .option('--openid <openid>', "the founder's openid (of the platform's official account)", text(64)),
    ).action(async (options: OnboardingOptions & { name: string; openid: string }, command: Command) => {
      if (options.nickname !== undefined) throw new UsageError(`--nickname: a trial mini-program is named after --name ("${options.name}的体验小程序") until it becomes a formal one`);
      await send(command, { kind: 'trial', name: options.name, openid: options.openid }, options);
    }),
    'name',
    'openid',
  );

  const registrations = program
    .command('registrations')
    .description('the fast registrations, their state at WeChat and their onboarding (subcommands: show, search, retry)');

  registrations
    .command('list', { isDefault: true })
    .description('list the registrations, newest first (the default: `mpfleet registrations [--status s]`)')
    .addOption(new Option('--status <status>', 'only registrations in this status').choices(REGISTRATION_STATUS_NAMES))
    .action(async (options: { status?: string }, command: Command) => {
      const body = await ctx.client(command).get<{ registrations: RegistrationView[] }>('/api/registrations', { status: options.status });
      ctx.output(command, body, () =>
        body.registrations.length === 0
          ? options.status
            ? `no ${options.status} registrations`
            : 'no registrations: `mpfleet register enterprise|personal|trial …` starts one'
          : registrationsTable(body.registrations),
      );
    });

  registrations
    .command('show')
    .description('one registration: its state, WeChat\'s status, each onboarding step with its message, and what comes next')
    .argument('<id>', 'the registration id (r-…)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const registration = await ctx.client(command).get<RegistrationView>(registrationPath(checkRegistrationId(id)));
      ctx.output(command, registration, () => registrationReport(registration));
    });

  registrations
    .command('search')
    .description('ask WeChat how an enterprise or personal registration stands (for a result push that did not arrive; a trial has no such query)')
    .argument('<id>', 'the registration id (r-…)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const found = await ctx.client(command).post<SearchedRegistration>(`${registrationPath(checkRegistrationId(id))}/search`, {});
      ctx.output(command, found, () => `at WeChat: ${found.atWeChat}\n\n${registrationReport(found)}`);
    });

  registrations
    .command('retry')
    .description('run the failed onboarding steps of a registration again (after fixing what they name)')
    .argument('<id>', 'the registration id (r-…)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const registration = await ctx.client(command).post<RegistrationView>(`${registrationPath(checkRegistrationId(id))}/onboarding/retry`, {});
      ctx.output(command, registration, () => `onboarding of ${registration.id} queued again: \`mpfleet registrations show ${registration.id}\` follows it\n\n${registrationReport(registration)}`);
    });
}
