import type { StoredSize } from '../backend/index.js';

/**
 * Reads, in order, the entries whose stored sizes fit in `maxBytes` together
 * (the first is always read), so a page of large records or letters cannot
 * load more than that. Entries gone since their sizes were read are skipped;
 * `leftOut` names the entries past the budget.
 */
export async function readWithinBudget<T>(
  sizes: readonly StoredSize[], maxBytes: number, read: (id: string) => Promise<T | undefined>,
): Promise<{ entries: T[]; leftOut: string[] }> {
  let taken = 0;
  let total = 0;
  while (taken < sizes.length && (taken === 0 || total + sizes[taken]!.bytes <= maxBytes)) total += sizes[taken++]!.bytes;
  const entries: T[] = [];
  for (const entry of await Promise.all(sizes.slice(0, taken).map(({ id }) => read(id)))) if (entry !== undefined) entries.push(entry);
  return { entries, leftOut: sizes.slice(taken).map(({ id }) => id) };
}
