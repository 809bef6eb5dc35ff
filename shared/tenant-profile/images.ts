/**
 * Images the operator hands mpfleet for WeChat (an avatar, a category's qualification scan), as
 * data URLs: checked here — a real PNG, JPEG, GIF or BMP by its first bytes, within the size limit —
 * before anything is sent, so a wrong file is a 400 that changes nothing.
 */
import * as z from 'zod';
import type { UploadFile } from '../wechat/http';

/** Kept small enough that an onboarding's images fit its stored registration (DynamoDB items are at most 400 KB). */
export const MAX_IMAGE_BYTES = 300 * 1024;

const SIGNATURES: { type: string; extension: string; starts: number[] }[] = [
  { type: 'image/png', extension: 'png', starts: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', extension: 'jpg', starts: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', extension: 'gif', starts: [0x47, 0x49, 0x46, 0x38] },
  { type: 'image/bmp', extension: 'bmp', starts: [0x42, 0x4d] },
];

const DATA_URL = /^data:(image\/[a-z.+-]+);base64,([A-Za-z0-9+/]+={0,2})$/;

export type Image = Omit<UploadFile, 'field'>;

/** The image in a data URL, or why it is not one WeChat takes. */
export function imageOf(dataUrl: string, name: string): Image | string {
  const match = DATA_URL.exec(dataUrl.replace(/\s+/g, ''));
  if (!match) return 'must be a data URL: data:image/png;base64,… (PNG, JPEG, GIF or BMP)';
  const bytes = Buffer.from(match[2]!, 'base64');
  if (bytes.length === 0) return 'is empty';
  if (bytes.length > MAX_IMAGE_BYTES) return `is ${Math.ceil(bytes.length / 1024)} KB: at most ${MAX_IMAGE_BYTES / 1024} KB`;
  const kind = SIGNATURES.find((s) => s.starts.every((byte, i) => bytes[i] === byte));
  if (!kind) return 'is not a PNG, JPEG, GIF or BMP image';
  return { filename: `${name}.${kind.extension}`, contentType: kind.type, bytes };
}

/** A zod string that must hold such an image (the check runs again where the bytes are used). */
export const ImageDataUrl = z.string().max(Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 64, `must be at most ${MAX_IMAGE_BYTES / 1024} KB`).superRefine((value, ctx) => {
  const image = imageOf(value, 'image');
  if (typeof image === 'string') ctx.addIssue({ code: 'custom', message: image });
});

/** The image of a data URL already checked by ImageDataUrl. */
export function checkedImage(dataUrl: string, name: string): Image {
  const image = imageOf(dataUrl, name);
  if (typeof image === 'string') throw new Error(`${name} ${image}`);
  return image;
}
