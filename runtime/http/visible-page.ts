/**
 * Most entries one filtered listing reads before it answers with what it
 * found: the most one unfiltered listing may ask for (`limit` ≤ 1000), so a
 * caller who sees little cannot make the host read more than anyone could.
 */
export const MAX_VISIBLE_SCAN = 1000;

/**
 * A page of `limit` entries the caller may see, newest first, from a list
 * read newest first: when some are hidden (another principal's function),
 * it reads a longer list instead of answering a short page while more
 * visible entries exist. Gives up at `MAX_VISIBLE_SCAN` read.
 */
export async function visiblePage<T>(
  read: (limit: number) => Promise<T[]>, limit: number, visible: ((entry: T) => boolean) | undefined,
): Promise<T[]> {
  if (!visible) return read(limit);
  for (let asked = limit; ; asked = Math.min(asked * 4, MAX_VISIBLE_SCAN)) {
    const entries = await read(asked);
    const shown = entries.filter(visible);
    // Fewer than asked for: the list holds no more.
    if (shown.length >= limit || entries.length < asked || asked >= MAX_VISIBLE_SCAN) return shown.slice(0, limit);
  }
}
