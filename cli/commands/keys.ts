import { InvalidArgumentError, type Command } from 'commander';
import type { CreateServiceKeyRequest, ServiceKeyCreated, ServiceKeyList, ServiceKeyScope, ServiceKeyView } from '../../shared/contract/operator-api';
import { requireOptions, type CliContext } from '../context';
import { json, table } from '../format';

/**
 * Service keys: how a template's backend authenticates to mpfleet's runtime API (/runtime/{appid}/…).
 * The API shows a key's secret in the answer to its creation and never again (it keeps only a hash),
 * so `keys create` is the one moment the operator can copy it; `keys list` cannot show it.
 */

/** What each scope lets a key do. A Record, so a scope the contract adds or drops fails the type check here. */
const SCOPES: Record<ServiceKeyScope, string> = {
  login: 'wx.login codes to openids, POST /runtime/{appid}/login',
  token: "the tenant's access token, GET /runtime/{appid}/access-token",
  proxy: "WeChat's APIs through mpfleet, POST /runtime/{appid}/wechat/…",
};
const SCOPE_NAMES = Object.keys(SCOPES) as ServiceKeyScope[];

/** The API's bounds (POST /api/service-keys refuses more with a 400): checked here first, so nothing is sent. */
const NAME_MAX = 64;
const TENANTS_MAX = 1000;

export const APPID = /^wx[0-9a-f]{16}$/;

const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

export function parseKeyName(value: string): string {
  const name = value.trim();
  if (name === '') throw new InvalidArgumentError('must not be empty');
  if (name.length > NAME_MAX) throw new InvalidArgumentError(`must be at most ${NAME_MAX} characters`);
  return name;
}

/** `*` (every tenant, now and later) or comma-separated appids, each `wx` and 16 hex digits. */
export function parseKeyTenants(value: string): CreateServiceKeyRequest['tenants'] {
  if (value.trim() === '*') return '*';
  const appids = [...new Set(list(value))];
  if (appids.length === 0) throw new InvalidArgumentError('must be comma-separated appids, or * for every tenant');
  if (appids.includes('*')) throw new InvalidArgumentError('* means every tenant: give it alone, not in a list of appids');
  const bad = appids.find((appid) => !APPID.test(appid));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not an appid (wx followed by 16 hex digits, as \`mpfleet tenants\` lists them)`);
  if (appids.length > TENANTS_MAX) throw new InvalidArgumentError(`at most ${TENANTS_MAX} appids (or * for every tenant)`);
  return appids;
}

export function parseKeyScopes(value: string): ServiceKeyScope[] {
  const scopes = [...new Set(list(value))];
  if (scopes.length === 0) throw new InvalidArgumentError(`must name at least one scope of ${SCOPE_NAMES.join(', ')}`);
  const unknown = scopes.find((scope) => !SCOPE_NAMES.includes(scope as ServiceKeyScope));
  if (unknown !== undefined) throw new InvalidArgumentError(`unknown scope "${unknown}": the scopes are ${SCOPE_NAMES.join(', ')}`);
  return scopes as ServiceKeyScope[];
}

const tenantsText = (tenants: ServiceKeyView['tenants']) => (tenants === '*' ? '* (every tenant)' : tenants.join(', '));

/** The TENANTS column: `*`, or the first appids and how many more (`--json` has them all). */
function tenantsCell(tenants: ServiceKeyView['tenants']): string {
  if (tenants === '*') return '*';
  const shown = 2;
  return tenants.length <= shown + 1 ? tenants.join(',') : `${tenants.slice(0, shown).join(',')} +${tenants.length - shown} more`;
}

interface CreateOptions {
  name: string;
  tenants: CreateServiceKeyRequest['tenants'];
  scopes: ServiceKeyScope[];
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description("service keys for template backends calling mpfleet's runtime API (subcommands: create, list, revoke)");

  requireOptions(
    keys
      .command('create')
      .description('create a service key and print its secret, the only time it is ever shown')
      .option('--name <name>', 'what the key is for, e.g. "shop backend"', parseKeyName)
      .option('--tenants <appids>', 'comma-separated appids the key may act for, or * for every tenant (quote it in a shell: \'*\')', parseKeyTenants)
      .option('--scopes <scopes>', `comma-separated, of: ${SCOPE_NAMES.map((scope) => `${scope} (${SCOPES[scope]})`).join('; ')}`, parseKeyScopes)
      .addHelpText('after', '\nThe secret is printed once: mpfleet stores only its hash. A lost secret cannot be recovered: revoke the key and create another.\n--json prints the API\'s answer, secret included.')
      .action(async (options: CreateOptions, command: Command) => {
        const body: CreateServiceKeyRequest = { name: options.name, tenants: options.tenants, scopes: options.scopes };
        const key = await ctx.client(command).post<ServiceKeyCreated>('/api/service-keys', body);
        ctx.output(command, key, () =>
          [
            `created service key ${key.id} (${key.name})`,
            `  tenants  ${tenantsText(key.tenants)}`,
            `  scopes   ${key.scopes.join(', ')}`,
            `  secret   ${key.secret}`,
            '',
            'This secret will not be shown again: store it now (mpfleet keeps only its hash).',
            'Its backend sends it as `Authorization: Bearer <secret>`; if it is lost, revoke the key and create another.',
          ].join('\n'),
        );
      }),
    'name',
    'tenants',
    'scopes',
  );

  keys
    .command('list')
    .description('list the service keys (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const body = await ctx.client(command).get<ServiceKeyList>('/api/service-keys');
      ctx.output(command, body, () =>
        body.keys.length === 0
          ? 'no service keys: `mpfleet keys create --name <n> --tenants <appids|*> --scopes <login,token,proxy>` makes one'
          : table(
              ['ID', 'NAME', 'TENANTS', 'SCOPES', 'CREATED'],
              body.keys.map((key) => [key.id, key.name, tenantsCell(key.tenants), key.scopes.join(','), key.createdAt]),
            ),
      );
    });

  keys
    .command('revoke')
    .description('revoke a service key: its secret is refused (401) from the next request on')
    .argument('<id>', 'the key id, as `mpfleet keys list` shows it')
    .action(async (id: string, _options: unknown, command: Command) => {
      await ctx.client(command).delete(`/api/service-keys/${encodeURIComponent(id)}`);
      // The API answers 204 with no body: --json gets a small object saying what was done.
      ctx.print(ctx.wantsJson(command) ? json({ revoked: id }) : `revoked service key ${id}: its secret is refused from now on`);
    });
}
