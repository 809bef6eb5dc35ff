/** Where the CLI reads and writes: the real process, or fakes in tests (no child processes needed). */
export interface OutputStream {
  write(chunk: string): unknown;
  /** True for a terminal: --watch then draws live bars instead of plain lines. */
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** `isTTY` when a person can answer a question there (deploy asks before deploying past blocked tenants). */
  stdin: AsyncIterable<string | Uint8Array> & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** How often --watch polls the API; one second unless a test wants it faster. */
  pollIntervalMs?: number;
  /** How long --watch waits for an unreachable API to come back before giving up (exit 1); five minutes unless a test wants less. */
  reconnectForMs?: number;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export async function readAll(input: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The first line typed on `input` (without its newline; what was typed before end of input, if
 * none). Stops reading there: the stream is not read again, so a terminal's stdin is released.
 */
export async function readLine(input: AsyncIterable<string | Uint8Array>): Promise<string> {
  const iterator = input[Symbol.asyncIterator]();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) return text;
      text += typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
      const newline = text.indexOf('\n');
      if (newline >= 0) return text.slice(0, newline).replace(/\r$/, '');
    }
  } finally {
    await iterator.return?.();
  }
}
