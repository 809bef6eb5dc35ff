import { Option, type Command } from 'commander';
import type { AuthLinks } from '../../shared/contract/operator-api';
import type { CliContext } from '../context';
import { table } from '../format';

export function registerAuthLink(program: Command, ctx: CliContext): void {
  program
    .command('auth-link')
    .description('create fresh authorization links to hand to a mini-program owner')
    .addOption(new Option('--auth-type <type>', 'what the owner may authorize: 1 official accounts, 2 mini-programs, 3 both').choices(['1', '2', '3']))
    .option('--biz-appid <appid>', 'only this appid may authorize with the links')
    .action(async (options: { authType?: string; bizAppid?: string }, command: Command) => {
      const body = {
        ...(options.authType ? { authType: Number(options.authType) } : {}),
        ...(options.bizAppid ? { bizAppid: options.bizAppid } : {}),
      };
      const links = await ctx.client(command).post<AuthLinks>('/api/auth-links', body);
      ctx.output(command, links, () =>
        table(
          ['LINK', 'URL'],
          [
            ['PC (scan QR)', links.pcUrl],
            ['in WeChat', links.mobileUrl],
            ['expires', links.expiresAt],
          ],
        ),
      );
    });
}
