import type { Command } from 'commander';
import { ApiClient } from './api-client';
import { json } from './format';
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

  print(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** `--json` prints the API's JSON for scripts; otherwise the human rendering. */
  output(command: Command, value: unknown, human: () => string): void {
    this.print(this.wantsJson(command) ? json(value) : human());
  }
}
