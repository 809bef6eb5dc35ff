import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError, type CliContext } from '../context';
import { json } from '../format';
import { readAll } from '../io';

/** Reads and parses JSON from a file, or stdin for `-`; any problem is a usage error, before a request is made. */
export async function readJsonInput(ctx: CliContext, file: string | undefined, what: string): Promise<unknown> {
  const fromStdin = file === undefined || file === '-';
  let text: string;
  try {
    text = fromStdin ? await readAll(ctx.io.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} from ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${what} in ${fromStdin ? 'stdin' : file} is not JSON: ${(error as Error).message}`);
  }
}

const configPath = (appid: string) => `/api/tenants/${encodeURIComponent(appid)}/config`;

export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program.command('config').description("read or replace a tenant's ext_json configuration");

  config
    .command('get')
    .description("print a tenant's configuration (JSON)")
    .argument('<appid>')
    .action(async (appid: string, _options: unknown, command: Command) => {
      ctx.print(json(await ctx.client(command).get(configPath(appid))));
    });

  config
    .command('set')
    .description("replace a tenant's configuration with the JSON in <file> (or stdin: `-` or no file)")
    .argument('<appid>')
    .argument('[file]')
    .action(async (appid: string, file: string | undefined, _options: unknown, command: Command) => {
      const body = await readJsonInput(ctx, file, 'the configuration');
      const stored = await ctx.client(command).put(configPath(appid), body);
      ctx.output(command, stored, () => `saved the configuration of ${appid}`);
    });
}
