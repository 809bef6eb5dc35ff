/**
 * 新增临时素材 (`POST /cgi-bin/media/upload?type=`), called with an authorizer's access_token: a
 * multipart/form-data body with the file in the field `media`. Answered like WeChat, without
 * errcode: `{type, media_id, created_at}`.
 */
import { ApiFailure } from '../errors';
import { MEDIA_MAX_BYTES, MEDIA_TYPES, storeMedia } from '../media';
import type { MediaType } from '../media';
import { callerOf } from './types';
import type { ApiRoute } from './types';

/** Room for the largest image and the multipart framing around it. */
const UPLOAD_BODY_BYTES = MEDIA_MAX_BYTES.image + 256 * 1024;

async function uploadedFile(raw: { contentType: string; bytes: Buffer } | undefined): Promise<Buffer> {
  if (raw === undefined || raw.bytes.length === 0) throw new ApiFailure(41005, 'no body: send the file as multipart/form-data, field media');
  if (!/^multipart\/form-data\s*;/i.test(raw.contentType)) throw new ApiFailure(41005, 'the body must be multipart/form-data with the file in the field media');
  let form: FormData;
  try {
    form = await new Response(raw.bytes, { headers: { 'content-type': raw.contentType } }).formData();
  } catch {
    throw new ApiFailure(41005, 'the multipart body cannot be read');
  }
  const file = form.get('media');
  if (file === null || typeof file === 'string') throw new ApiFailure(41005, 'no file in the field media');
  return Buffer.from(await file.arrayBuffer());
}

export const mediaRoutes: ApiRoute[] = [
  {
    path: '/cgi-bin/media/upload',
    method: 'POST',
    auth: 'authorizer',
    body: 'raw',
    maxBodyBytes: UPLOAD_BODY_BYTES,
    async handle(req, ctx) {
      const mp = callerOf(req);
      const type = req.query.get('type') ?? '';
      // voice and video exist on WeChat; the emulator keeps images only, and says so.
      if (!MEDIA_TYPES.includes(type as MediaType)) throw new ApiFailure(40004, `type must be ${MEDIA_TYPES.join(' or ')} (the emulator keeps no voice or video)`);
      const item = storeMedia(ctx.state, mp.appid, type as MediaType, await uploadedFile(req.raw));
      ctx.log(`${mp.appid} uploaded ${item.type} ${item.mediaId} (${item.contentType}, ${item.size} bytes)`);
      return { type: item.type, media_id: item.mediaId, created_at: item.createdAt };
    },
  },
];
