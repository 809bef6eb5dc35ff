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
  stdin: AsyncIterable<string | Uint8Array>;
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
