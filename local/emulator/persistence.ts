/**
 * The emulator's state file, `<dir>/state.json` (what it holds: `snapshot.ts`). It is written
 * whole and atomically — a temporary file, fsync, rename over the old one, fsync of the folder —
 * so it is always either the previous state or the next one, never half of one.
 *
 * Writes are group commits: `flush()` resolves once every change made before it is on disk. The
 * server awaits it before answering a call that may have changed state (reads await `written()`,
 * the writes already under way), and the pusher before a push goes out, so nothing acknowledged to
 * a caller (a token, an auditid, an authorization code in a push) is lost to a `kill -9` right
 * after. Calls arriving while a write is under way share the next one, so a burst costs two
 * writes, not one per call.
 *
 * A `lock` file with the owner's pid keeps a second emulator (or process) off the same folder;
 * one left by a process that is gone (killed) is taken over.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';

export const STATE_FILE = 'state.json';
const LOCK_FILE = 'lock';

export class StateDirInUseError extends Error {
  override readonly name = 'StateDirInUseError';
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
  ) {
    super(`${dir} is in use by another emulator${pid === undefined ? '' : ` (pid ${pid})`}: stop it, or set DATA_DIR`);
  }
}

/** Folders this process holds: two emulators in one process must not share one either. */
const held = new Set<string>();

interface Waiter {
  generation: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class StateFile {
  readonly file: string;
  private serialize: (() => string) | undefined;
  /** Generations: each flush asks for one; a write covers every generation asked for before it began. */
  private requested = 0;
  private attempted = 0;
  private completed = 0;
  private waiters: Waiter[] = [];
  private writing = false;
  private closed = false;
  /** False once closed: the lock is given up and nothing more is written. */
  private writable = true;

  private constructor(
    readonly dir: string,
    private readonly log: (line: string) => void,
  ) {
    this.file = path.join(dir, STATE_FILE);
  }

  /** Creates the folder if needed and takes its lock. */
  static open(dir: string, log: (line: string) => void = () => undefined): StateFile {
    const resolved = path.resolve(dir);
    mkdirSync(resolved, { recursive: true });
    acquireLock(resolved);
    // A write cut short leaves its temporary file; the state file itself is intact.
    for (const name of readdirSync(resolved)) {
      if (name.startsWith(`${STATE_FILE}.`) && name.endsWith('.tmp')) rmSync(path.join(resolved, name), { force: true });
    }
    return new StateFile(resolved, log);
  }

  /** The file's text, or undefined when there is none yet. */
  read(): string | undefined {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8') : undefined;
  }

  /** What to write; nothing is written before. */
  attach(serialize: () => string): void {
    this.serialize = serialize;
  }

  /** Resolves once every change made before the call is on disk; rejects if that write failed. */
  flush(): Promise<void> {
    if (this.serialize === undefined || !this.writable) return Promise.resolve();
    const generation = ++this.requested;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ generation, resolve, reject }));
    void this.pump();
    return done;
  }

  /**
   * Resolves once every change already asked to be written is (without asking for a write): a read
   * answers nothing a crash could take back.
   */
  written(): Promise<void> {
    if (this.serialize === undefined || !this.writable || this.completed >= this.requested) return Promise.resolve();
    const generation = this.requested;
    return new Promise<void>((resolve, reject) => this.waiters.push({ generation, resolve, reject }));
  }

  /** A change nobody waits for (a timer decided an audit): written soon, failures logged. */
  changed(): void {
    if (this.closed) return;
    this.flush().catch(() => undefined);
  }

  /** Writes what is left and gives the folder up. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      this.writable = false;
      releaseLock(this.dir);
    }
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.attempted < this.requested) {
        // Changes made in this turn of the event loop join this write.
        await new Promise((resolve) => setImmediate(resolve));
        const generation = this.requested;
        this.attempted = generation;
        try {
          await this.write(this.serialize!());
          this.settle(generation, undefined);
        } catch (error) {
          this.log(`emulator state not saved to ${this.file}: ${String(error)}`);
          this.settle(generation, error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private settle(generation: number, error: unknown): void {
    this.completed = generation;
    const done = this.waiters.filter((waiter) => waiter.generation <= generation);
    this.waiters = this.waiters.filter((waiter) => waiter.generation > generation);
    for (const waiter of done) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  private async write(json: string): Promise<void> {
    const temporary = `${this.file}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(json, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
    await syncFolder(this.dir);
  }
}

/** The pid of a live process holding `dir`, or undefined when nobody does. */
export function stateDirOwner(dir: string): number | undefined {
  const resolved = path.resolve(dir);
  if (held.has(resolved)) return process.pid;
  const owner = lockOwner(resolved);
  return owner !== undefined && owner !== process.pid && isAlive(owner) ? owner : undefined;
}

/** Deletes the emulator's folder (`--reset`); refuses while an emulator holds it. */
export function removeStateDir(dir: string): void {
  const owner = stateDirOwner(dir);
  if (owner !== undefined) throw new StateDirInUseError(path.resolve(dir), owner);
  rmSync(dir, { recursive: true, force: true });
}

function acquireLock(dir: string): void {
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    const owner = stateDirOwner(dir);
    if (owner !== undefined) throw new StateDirInUseError(dir, owner);
    // Left by a process that is gone (killed), or by this one without a close.
    rmSync(lock, { force: true });
    try {
      const fd = openSync(lock, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      held.add(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new StateDirInUseError(dir, lockOwner(dir));
}

function releaseLock(dir: string): void {
  held.delete(dir);
  if (lockOwner(dir) === process.pid) rmSync(path.join(dir, LOCK_FILE), { force: true });
}

function lockOwner(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes the rename itself durable; not every platform lets a folder be opened for that. */
async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows: folders cannot be fsynced; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}
