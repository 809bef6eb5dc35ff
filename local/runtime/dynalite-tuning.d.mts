/** Types of ./dynalite-tuning.mjs (plain JavaScript, loaded by dynalite's thread). */
type Parse = (input: string, options?: unknown) => unknown;

export function cachingParse(parse: Parse): Parse;

export function readSynchronously(level: {
  get: (key: string, callback?: (error: Error | null, value?: unknown) => void) => unknown;
  getSync: (key: string) => unknown;
  readonly status: string;
}): void;

export function tuneDynalite(require: NodeJS.Require): void;
