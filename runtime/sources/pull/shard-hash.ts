import { createHash } from 'node:crypto';

const SPACE = 1n << 128n;

/**
 * Kinesis' partitioning: the MD5 of the partition key is a 128-bit hash key;
 * shard `i` of `n` owns the i-th equal slice of that range.
 */
export function shardFor(partitionKey: string, shards: number): number {
  if (shards === 1) return 0;
  const hash = BigInt(`0x${createHash('md5').update(partitionKey).digest('hex')}`);
  return Number((hash * BigInt(shards)) / SPACE);
}

/** The lane (0 … factor-1) of a record within its shard, with ParallelizationFactor: same key, same lane, so per-key order holds. */
export function laneFor(partitionKey: string, factor: number): number {
  if (factor === 1) return 0;
  return createHash('md5').update(`lane:${partitionKey}`).digest().readUInt32BE(0) % factor;
}
