/**
 * Image files the operator names on the command line (an avatar, a business licence, a category's
 * qualification scan), read and sent as data URLs. Checked here as the API checks them — a PNG,
 * JPEG, GIF or BMP by its first bytes, at most 300 KB — so a wrong file is a usage error (exit 2)
 * before any request, and nothing starts at WeChat.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from './context';

/** The API's limit per image (shared/tenant-profile/images.ts; the bin carries no server code, so it is repeated here). */
export const MAX_IMAGE_BYTES = 300 * 1024;

const SIGNATURES: { type: string; starts: number[] }[] = [
  { type: 'image/png', starts: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', starts: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', starts: [0x47, 0x49, 0x46, 0x38] },
  { type: 'image/bmp', starts: [0x42, 0x4d] },
];

/** `file` as a `data:image/…;base64,…` URL; `flag` names the option in the error (`--avatar`). */
export async function readImageDataUrl(file: string, flag: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (bytes.length === 0) throw new UsageError(`${flag}: ${file} is empty`);
  if (bytes.length > MAX_IMAGE_BYTES) throw new UsageError(`${flag}: ${file} is ${Math.ceil(bytes.length / 1024)} KB: images may be at most ${MAX_IMAGE_BYTES / 1024} KB`);
  const kind = SIGNATURES.find((s) => s.starts.every((byte, i) => bytes[i] === byte));
  if (!kind) throw new UsageError(`${flag}: ${file} is not a PNG, JPEG, GIF or BMP image`);
  return `data:${kind.type};base64,${bytes.toString('base64')}`;
}
