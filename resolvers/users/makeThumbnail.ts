/**
 * The `avatars` bucket's notification (push): an upload under `users/<id>.*`
 * gets a 64×64 thumbnail under `thumbnails/`, and the user's item learns both
 * keys. The thumbnail is an SVG that scales the original (no image library
 * in the reference app); PNG and JPEG sizes are read from their headers.
 */
import { bucket } from 'neolith/client';
import { users } from '../_shared/store.js';

interface S3Event {
  Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string; size: number } } }>;
}

const SIZE = 64;

export async function handler(event: S3Event) {
  const made: string[] = [];
  for (const record of event.Records) {
    if (!record.eventName.startsWith('ObjectCreated:')) continue;
    // S3 sends keys URL-encoded, with "+" for spaces.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const userId = /^users\/([^/.]+)\.[^/]+$/.exec(key)?.[1];
    if (!userId) continue;
    const avatars = bucket(record.s3.bucket.name);
    const original = await avatars.get(key);
    if (!original) continue; // deleted since: nothing to do
    const { width, height } = imageSize(original.body) ?? { width: SIZE, height: SIZE };
    const scale = SIZE / Math.max(width, height, 1);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">`
      + `<image width="${Math.round(width * scale)}" height="${Math.round(height * scale)}" href="data:${original.contentType};base64,${original.body.toString('base64')}"/></svg>`;
    const thumbnailKey = `thumbnails/${userId}.svg`;
    await avatars.put(thumbnailKey, svg, 'image/svg+xml');
    // update, not put: the user item keeps its other attributes (and is not created when missing).
    if (await users.get({ id: userId })) await users.update({ id: userId }, { avatarKey: key, thumbnailKey });
    made.push(thumbnailKey);
  }
  return { thumbnails: made };
}

/** Width and height of a PNG or JPEG, from its header. */
function imageSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
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
