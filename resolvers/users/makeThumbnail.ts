/**
 * The `avatars` bucket's notification (push): an upload under `users/<id>.*`
 * gets a 64×64 thumbnail under `thumbnails/`, and the user's item learns both
 * keys. The thumbnail is an SVG that scales the original (no image library
 * in the reference app); PNG, JPEG and GIF sizes are read from their headers.
 *
 * The uploaded content type is the uploader's claim, not a fact: the bytes
 * decide. Only a PNG, JPEG, GIF or WebP (by its magic number) gets a
 * thumbnail, embedded under the type its bytes show; anything else is
 * skipped and logged, and the user's item is left alone.
 *
 * The original is embedded as base64 (4/3 of its size), so an upload over
 * about 1.5 MB would make a thumbnail past the bucket's own limit
 * (`LIMITS.avatarBytes`, the `avatars` bucket's `maxObjectBytes`): that too
 * is skipped and logged rather than failing (and being retried) on the write.
 */
import { bucket } from 'neolith/client';
import { LIMITS } from '../_shared/input.js';
import { users } from '../_shared/store.js';

interface S3Event {
  Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string; size: number } } }>;
}

const SIZE = 64;

export async function handler(event: S3Event) {
  const made: string[] = [];
  const skipped: Array<{ key: string; reason: string }> = [];
  for (const record of event.Records) {
    if (!record.eventName.startsWith('ObjectCreated:')) continue;
    // S3 sends keys URL-encoded, with "+" for spaces.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const userId = /^users\/([^/.]+)\.[^/]+$/.exec(key)?.[1];
    if (!userId) continue;
    if (Buffer.byteLength(userId) > LIMITS.idBytes) {
      skipped.push({ key, reason: `the user id in the key is over ${LIMITS.idBytes} bytes` });
      continue;
    }
    const avatars = bucket(record.s3.bucket.name);
    const original = await avatars.get(key);
    if (!original) continue; // deleted since: nothing to do
    const type = imageType(original.body);
    if (!type) {
      const reason = `not a PNG, JPEG, GIF or WebP image (uploaded as ${JSON.stringify(original.contentType)})`;
      console.warn(`${key}: ${reason}; no thumbnail`);
      skipped.push({ key, reason });
      continue;
    }
    const { width, height } = imageSize(original.body, type) ?? { width: SIZE, height: SIZE };
    const scale = SIZE / Math.max(width, height, 1);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">`
      + `<image width="${Math.round(width * scale)}" height="${Math.round(height * scale)}" href="data:${type};base64,${original.body.toString('base64')}"/></svg>`;
    const svgBytes = Buffer.byteLength(svg);
    if (svgBytes > LIMITS.avatarBytes) {
      const reason = `the thumbnail would be ${svgBytes} bytes, over the bucket's ${LIMITS.avatarBytes} (the original is embedded as base64)`;
      console.warn(`${key}: ${reason}; no thumbnail`);
      skipped.push({ key, reason });
      continue;
    }
    const thumbnailKey = `thumbnails/${userId}.svg`;
    await avatars.put(thumbnailKey, svg, 'image/svg+xml');
    // update, not put: the user item keeps its other attributes (and is not created when missing).
    if (await users.get({ id: userId })) await users.update({ id: userId }, { avatarKey: key, thumbnailKey });
    made.push(thumbnailKey);
  }
  return { thumbnails: made, skipped };
}

type ImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

/** The image type the bytes' magic number shows, or undefined when they are not one of the four. */
function imageType(b: Buffer): ImageType | undefined {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) return 'image/gif';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Width and height of a PNG, JPEG or GIF, from its header. */
function imageSize(b: Buffer, type: ImageType): { width: number; height: number } | undefined {
  if (type === 'image/png' && b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR') return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (type === 'image/gif' && b.length >= 10) return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (type === 'image/jpeg') {
    for (let i = 2; i + 9 < b.length;) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      const length = b.readUInt16BE(i + 2);
      // SOF0–SOF15 except DHT (C4), JPG (C8), DAC (CC) carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
      }
      i += 2 + length;
    }
  }
  return undefined;
}
