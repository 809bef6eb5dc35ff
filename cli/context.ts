import type { Command } from 'commander';
import { ApiClient } from './api-client';
import { json, stripControls } from './format';
import type { CliIo } from './io';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** A mistake in how the CLI was called (bad flag value, unreadable file): exit 2, before any request. */
export class UsageError extends Error {
  override name = 'UsageError';
}

interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/**
 * Like commander's requiredOption, but checked after unknown options: commander reports a missing
 * mandatory option before an unknown one, so `deploy --templte 1 …` would blame the missing
 * `--template` instead of the typo. The options are declared with `.option` and listed here.
 */
export function requireOptions(command: Command, ...attributeNames: string[]): Command {
  return command.hook('preAction', (_hooked, action) => {
    for (const option of action.options) {
      const name = option.attributeName();
      if (attributeNames.includes(name) && action.getOptionValue(name) === undefined) {
        action.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue', exitCode: 2 });
      }
    }
  });
}

/** What every command needs: the API client, the output streams, and the exit code it ends with. */
export class CliContext {
  exitCode = 0;

  constructor(readonly io: CliIo) {}

  /** A client for the API named by --url / MPFLEET_URL, authenticated by --token / MPFLEET_TOKEN. */
  client(command: Command): ApiClient {
    const options = command.optsWithGlobals<GlobalOptions>();
    const baseUrl = options.url ?? this.io.env.MPFLEET_URL ?? DEFAULT_URL;
    if (!/^https?:\/\/[^/]+/.test(baseUrl) || !URL.canParse(baseUrl)) throw new UsageError(`--url / MPFLEET_URL must be an http(s) URL, got "${baseUrl}"`);
    const token = options.token ?? this.io.env.MPFLEET_TOKEN;
    if (!token) throw new UsageError('no operator token: set MPFLEET_TOKEN or pass --token (npm start prints it)');
    return new ApiClient({ baseUrl, token });
  }

  wantsJson(command: Command): boolean {
    return command.optsWithGlobals<GlobalOptions>().json === true;
  }

  /** Writes a line to stdout, with control characters stripped: much of what the CLI prints comes from the API and WeChat. */
  print(text: string): void {
    this.io.stdout.write(`${stripControls(text)}\n`);
  }

  /** The same, for notices on stderr (they do not mix with output a script parses). */
  notice(text: string): void {
    this.io.stderr.write(`${stripControls(text)}\n`);
  }

  /** `--json` prints the API's JSON for scripts; otherwise the human rendering. */
  output(command: Command, value: unknown, human: () => string): void {
    this.print(this.wantsJson(command) ? json(value) : human());
  }
}
