import { Redis } from 'ioredis';
import { deleteRedisKeys } from './delete-redis-keys.js';
import type { ServeProcess } from './serve-process.js';

/**
 * What a crash suite leaves behind: its `neolith serve` children, temp dirs
 * and Redis prefixes. The children are killed first; the rest is removed even
 * if killing one fails.
 */
export async function stopAndClean(leftovers: {
  servers: ServeProcess[]; dirs: Array<{ remove: () => void }>; redisPrefixes: string[];
}): Promise<void> {
  try {
    await Promise.all(leftovers.servers.map((server) => server.kill()));
  } finally {
    for (const dir of leftovers.dirs) dir.remove();
    const redis = new Redis('redis://127.0.0.1:6379');
    for (const prefix of leftovers.redisPrefixes) await deleteRedisKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
}
