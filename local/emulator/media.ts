/**
 * Temporary media (新增临时素材, `cgi-bin/media/upload`): images a mini-program uploads with its
 * authorizer token and then names by media_id — a head image, proof for a rename, a category's
 * qualifications. Like WeChat's they expire 3 days after upload and belong to the mini-program that
 * uploaded them: any other use answers 40007. The bytes are kept (base64), so a head image can be
 * served; expired media are dropped from the state file.
 */
import { randomBytes } from 'node:crypto';
import { ApiFailure } from './errors';
import type { EmulatorState } from './state';

export type MediaType = 'image' | 'thumb';
export const MEDIA_TYPES: readonly MediaType[] = ['image', 'thumb'];

/** WeChat keeps temporary media for 3 days. */
export const MEDIA_TTL_SEC = 3 * 86_400;
/** WeChat: image up to 10 MB (PNG, JPEG, GIF, BMP); thumb up to 64 KB, JPEG only. */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaType, number>> = { image: 10 * 1024 * 1024, thumb: 64 * 1024 };
const MEDIA_FORMATS: Readonly<Record<MediaType, readonly string[]>> = {
  image: ['image/png', 'image/jpeg', 'image/gif', 'image/bmp'],
  thumb: ['image/jpeg'],
};

export interface MediaItem {
  mediaId: string;
  appid: string;
  type: MediaType;
  contentType: string;
  /** The file, base64. */
  data: string;
  size: number;
  /** Epoch seconds. */
  createdAt: number;
}

/** The image format by its first bytes (what the file is, whatever its name or declared type says). */
export function imageContentType(bytes: Buffer): string | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'image/bmp';
  return undefined;
}

/** Checks an upload as WeChat does (40005 not an accepted format, 40009 too large) and keeps it. */
export function storeMedia(state: EmulatorState, appid: string, type: MediaType, bytes: Buffer): MediaItem {
  if (bytes.length === 0) throw new ApiFailure(41005, 'media is empty');
  const contentType = imageContentType(bytes);
  if (contentType === undefined || !MEDIA_FORMATS[type].includes(contentType)) {
    throw new ApiFailure(40005, `a ${type} must be ${MEDIA_FORMATS[type].map((f) => f.slice(6).toUpperCase()).join('/')}${contentType === undefined ? '' : `, not ${contentType.slice(6).toUpperCase()}`}`);
  }
  if (bytes.length > MEDIA_MAX_BYTES[type]) throw new ApiFailure(40009, `a ${type} is at most ${MEDIA_MAX_BYTES[type]} bytes, this one ${bytes.length}`);
  const item: MediaItem = {
    // 64 characters, like WeChat's media ids.
    mediaId: randomBytes(48).toString('base64url'),
    appid,
    type,
    contentType,
    data: bytes.toString('base64'),
    size: bytes.length,
    createdAt: state.nowSec(),
  };
  dropExpiredMedia(state);
  state.media.set(item.mediaId, item);
  return item;
}

export const isMediaLive = (item: MediaItem, nowSec: number) => nowSec < item.createdAt + MEDIA_TTL_SEC;

/** The mini-program's own, unexpired media `mediaId`; 40007 otherwise (unknown, expired, another's). */
export function usableMedia(state: EmulatorState, appid: string, mediaId: unknown, field = 'media_id'): MediaItem {
  const item = typeof mediaId === 'string' ? state.media.get(mediaId) : undefined;
  if (item === undefined || item.appid !== appid) throw new ApiFailure(40007, `${field}: not a media_id this mini-program uploaded`);
  if (!isMediaLive(item, state.nowSec())) throw new ApiFailure(40007, `${field}: expired (temporary media last 3 days)`);
  return item;
}

export function dropExpiredMedia(state: EmulatorState): void {
  const now = state.nowSec();
  for (const [id, item] of state.media) if (!isMediaLive(item, now)) state.media.delete(id);
}
