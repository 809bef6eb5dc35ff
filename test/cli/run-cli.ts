import { run } from '../../cli/main';
import type { CliIo, OutputStream } from '../../cli/io';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Pretend stdout is a terminal (live bars) rather than a pipe (plain lines). */
  tty?: boolean;
  /** Pretend stdin is a terminal a person types into (deploy may then ask a question, answered by `stdin`). */
  stdinTty?: boolean;
  /** How long --watch waits for an unreachable API (default: the CLI's five minutes). */
  reconnectForMs?: number;
}

function capture(isTTY: boolean): OutputStream & { text: string } {
  return {
    text: '',
    isTTY,
    columns: 100,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

/** Runs the CLI in this process with captured output, as a shell would with the given env and stdin. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<CliResult> {
  const stdout = capture(options.tty ?? false);
  const stderr = capture(false);
  const io: CliIo = {
    stdout,
    stderr,
    stdin: Object.assign(
      (async function* () {
        if (options.stdin !== undefined) yield options.stdin;
      })(),
      { isTTY: options.stdinTty ?? false },
    ),
    env: options.env ?? {},
    pollIntervalMs: 100,
    ...(options.reconnectForMs === undefined ? {} : { reconnectForMs: options.reconnectForMs }),
  };
  const code = await run(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
