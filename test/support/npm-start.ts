/**
 * `npm start` as a real process group on a temp DATA_DIR, for the tests that kill it with -9 and
 * start it again: the local stack's own restart story, not an in-process stand-in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What `npm start` runs after building the console: `node <these arguments>` (package.json). */
const START_ARGS = startArguments();

function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = scripts.start.split('&&').pop()!.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`npm start no longer ends with a node command: ${scripts.start}`);
  return args;
}

export class NpmStartProcess {
  readonly dataRoot: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** How many times it was started: a call log read across a kill tells its answers apart by this. */
  generation = 0;
  private readonly log;
  private child?: ChildProcess;

  constructor(prefix: string) {
    this.dataRoot = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
    this.dataDir = path.join(this.dataRoot, 'data');
    this.logFile = path.join(this.dataRoot, 'npm-start.log');
    this.log = createWriteStream(this.logFile);
  }

  /** The environment `npm start` gets: this process's, without the test runner's own settings. */
  env(overrides: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'OPERATOR_TOKEN' || name === 'WECHAT_API_BASE') delete env[name];
    // npm start seeds the realistic demo fleet with a 2 s privacy scan; these tests deploy to every
    // tenant, so they get the fleet that passes every release gate (as before the gates) unless they ask.
    return { ...env, EMULATOR_FLEET: 'ready', EMULATOR_PRIVACY_SCAN_MS: '0', DATA_DIR: this.dataDir, ...overrides };
  }

  /** Starts it and waits until it says it is running. */
  async start(env: NodeJS.ProcessEnv): Promise<void> {
    this.generation += 1;
    this.log.write(`--- start #${this.generation} at ${new Date().toISOString()} ---\n`);
    const proc = spawn(NODE, START_ARGS, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = proc;
    let ready = false;
    proc.stdout!.on('data', (chunk: Buffer) => {
      this.log.write(chunk);
      if (chunk.toString().includes('mpfleet is running locally')) ready = true;
    });
    proc.stderr!.on('data', (chunk: Buffer) => this.log.write(chunk));
    const deadline = Date.now() + 90_000;
    while (!ready) {
      if (proc.exitCode !== null) throw new Error(`npm start exited with ${proc.exitCode}; see ${this.logFile}:\n${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`npm start not ready after 90 s; see ${this.logFile}`);
      await sleep(200);
    }
  }

  /** kill -9 of the whole process group, as a crash or a pulled plug would. */
  async killGroup(): Promise<void> {
    const proc = this.child!;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(-proc.pid!, 'SIGKILL');
    await exited;
    this.log.write(`--- kill -9 of the process group at ${new Date().toISOString()} ---\n`);
  }

  /** The operator token `npm start` keeps under DATA_DIR. */
  token(): string {
    return readFileSync(path.join(this.dataDir, 'operator-token'), 'utf8').trim();
  }

  logTail(chars = 3000): string {
    return readFileSync(this.logFile, 'utf8').slice(-chars);
  }

  /** Kills what still runs and removes the data (kept with KEEP_RESTART_DATA=1). */
  close(): void {
    if (this.child?.exitCode === null && this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.log.end();
    if (process.env.KEEP_RESTART_DATA) console.log(`kept ${this.dataRoot}`);
    else rmSync(this.dataRoot, { recursive: true, force: true });
  }
}

/**
 * What a test says to the stack `npm start` runs on `port` (the API) and `port + 1` (the emulator):
 * the operator API with the token it keeps, the emulator's admin API, and a patient wait that
 * names the log to read when it gives up.
 */
export function stackClients(stack: NpmStartProcess, port: number) {
  const api = `http://127.0.0.1:${port}`;
  const emulatorUrl = `http://127.0.0.1:${port + 1}`;
  const operator = async <T>(p: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${api}${p}`, {
      ...init,
      headers: { authorization: `Bearer ${stack.token()}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const admin = async <T>(p: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${emulatorUrl}/__admin${p}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    if (!response.ok) throw new Error(`emulator ${p}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; log: ${stack.logFile}`);
      await sleep(everyMs);
    }
  };
  return { api, emulatorUrl, operator, admin, until };
}
