/**
 * The emulator's own avatars, so the result page shows a picture offline: a small PNG per appid
 * (a mirrored 5×5 pattern in a colour taken from the appid, like an identicon), served at
 * `/__static/avatar/<appid>.png`. Real WeChat answers `head_img` with its own CDN URLs; those are
 * shown as they are.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

const SIZE = 60; // pixels: 5 cells of 12
const CELLS = 5;

export const AVATAR_PATH = /^\/__static\/avatar\/(wx[0-9a-f]{16})\.png$/;

/** Where the emulator serves `appid`'s avatar. */
export const avatarUrl = (emulatorUrl: string, appid: string) => `${emulatorUrl}/__static/avatar/${appid}.png`;

/** Where the emulator serves a head image set through modifyheadimage (the uploaded bytes, with their content type). */
export const HEAD_IMAGE_PATH = /^\/__static\/head\/(wx[0-9a-f]{16})$/;
export const headImageUrl = (emulatorUrl: string, appid: string) => `${emulatorUrl}/__static/head/${appid}`;

/**
 * What mp.headImg holds once modifyheadimage set it: the emulator's URL is only known while it
 * listens (its port changes across restarts), so the answer is built from this marker.
 */
export const UPLOADED_HEAD_IMG = 'emulator:uploaded-head-image';

/** The made-up WeChat CDN URL the fixtures (and the admin API's "set a head image") give a mini-program. */
export const fixtureHeadImg = (appid: string) => `http://wx.qlogo.cn/mmopen/emulator-${appid.slice(2, 10)}/0`;

/**
 * The emulator's own fixtures name a made-up WeChat CDN URL that no browser can load: answer the
 * emulator's own avatar instead; a head image set by modifyheadimage is answered at its emulator URL. Any other head image (set by a test, say) is answered as it is,
 * and an empty one (not set) stays empty.
 */
export function shownHeadImg(headImg: string, appid: string, emulatorUrl: string | undefined): string {
  if (headImg === UPLOADED_HEAD_IMG) return headImageUrl(emulatorUrl ?? '', appid);
  return emulatorUrl && /^http:\/\/wx\.qlogo\.cn\/mmopen\/emulator-/.test(headImg) ? avatarUrl(emulatorUrl, appid) : headImg;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A deterministic PNG avatar for `appid`. */
export function avatarPng(appid: string): Buffer {
  const hash = createHash('sha1').update(appid).digest();
  const color = [hash[0]! % 160 + 40, hash[1]! % 160 + 40, hash[2]! % 160 + 40];
  const background = [240, 242, 245];
  const on = (x: number, y: number) => {
    const column = x < 3 ? x : CELLS - 1 - x; // mirrored
    return (hash[3 + y * 3 + column]! & 1) === 1;
  };
  const cell = SIZE / CELLS;
  const rows: Buffer[] = [];
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 3); // filter byte 0, then RGB
    for (let x = 0; x < SIZE; x++) {
      const rgb = on(Math.floor(x / cell), Math.floor(y / cell)) ? color : background;
      row.set(rgb, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
