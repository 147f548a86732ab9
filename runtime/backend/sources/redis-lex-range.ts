import type { ItemQuery } from './source-store.js';

/** A ZRANGEBYLEX bound as Redis takes it: `-`, `+`, or `[` (inclusive) / `(` (exclusive) and the key's bytes. */
export type LexBound = Buffer;

/** One end of a range: unbounded, or a key and whether the key itself is out. */
type End = { key: Buffer; exclusive: boolean } | undefined;

/** Redis orders sorted-set members by their bytes, as Buffer.compare does (not as JavaScript's `<`, by UTF-16 units). */
function tighter(a: End, b: End, lower: boolean): End {
  if (!a) return b;
  if (!b) return a;
  const order = Buffer.compare(a.key, b.key);
  if (order !== 0) return (order > 0) === lower ? a : b;
  return a.exclusive ? a : b;
}

const key = (text: string, exclusive: boolean): End => ({ key: Buffer.from(text), exclusive });

function bound(end: End, infinity: '-' | '+'): LexBound {
  return end ? Buffer.concat([Buffer.from(end.exclusive ? '(' : '['), end.key]) : Buffer.from(infinity);
}

/**
 * The sort-key range of a query on its partition's sorted set: its bounds,
 * its prefix (so that LIMIT counts only keys that have it) and its cursor,
 * each narrowing the range and none widening it.
 */
export function lexRange(q: Pick<ItemQuery, 'skBeginsWith' | 'skFrom' | 'skTo' | 'after' | 'reverse'>): { min: LexBound; max: LexBound } {
  let min = q.skFrom !== undefined ? key(q.skFrom, false) : undefined;
  let max = q.skTo !== undefined ? key(q.skTo, false) : undefined;
  if (q.skBeginsWith !== undefined && q.skBeginsWith !== '') {
    min = tighter(min, key(q.skBeginsWith, false), true);
    // Every key with the prefix is below prefix + 0xFF: no UTF-8 text holds that byte.
    max = tighter(max, { key: Buffer.concat([Buffer.from(q.skBeginsWith), Buffer.from([0xff])]), exclusive: true }, false);
  }
  if (q.after !== undefined) {
    if (q.reverse) max = tighter(max, key(q.after, true), false);
    else min = tighter(min, key(q.after, true), true);
  }
  return { min: bound(min, '-'), max: bound(max, '+') };
}
