/**
 * An environment's read-only connection to the host's SQLite file: it reads
 * what the host's store wrote, including writes made after it opened (WAL),
 * pages a scan as the store does, and refuses to open a state dir the host
 * has not made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteItemReader, SqliteSourceStore } from '../../../../runtime/backend/index.js';
import { tempDir } from '../../../support/temp-dir.js';

describe('SqliteItemReader', () => {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  function openBoth() {
    const dir = tempDir('neolith-item-reader-');
    const store = new SqliteSourceStore(dir.path);
    closers.push(() => dir.remove(), () => store.close());
    const reader = SqliteItemReader.open(dir.path);
    closers.push(() => reader.close());
    return { dir, store, reader };
  }
  const put = (store: SqliteSourceStore, pk: string, sk: string, item: Record<string, unknown>) =>
    store.writeItem({ table: 't', pk, sk, item });

  it('reads what the store wrote, before and after it opened', async () => {
    const { store, reader } = openBoth();
    await put(store, 'a', '1', { v: 1 });
    expect(await reader.getItem('t', 'a', '1')).toEqual({ item: { v: 1 }, version: 1 });
    await put(store, 'a', '1', { v: 2 });
    await put(store, 'a', '2', { v: 3 });
    expect(await reader.getItem('t', 'a', '1')).toEqual({ item: { v: 2 }, version: 2 });
    expect(await reader.getItems('t', [{ pk: 'a', sk: '2' }, { pk: 'b', sk: '' }, { pk: 'a', sk: '1' }]))
      .toEqual([{ item: { v: 3 }, version: 1 }, undefined, { item: { v: 2 }, version: 2 }]);
    expect(await reader.queryItems({ table: 't', pk: 'a', reverse: true })).toEqual(await store.queryItems({ table: 't', pk: 'a', reverse: true }));
    await store.writeItem({ table: 't', pk: 'a', sk: '2', item: null });
    expect(await reader.getItem('t', 'a', '2')).toBeUndefined();
  });

  it('pages a scan as the store does', async () => {
    const { store, reader } = openBoth();
    for (const pk of ['c', 'a', 'b']) await put(store, pk, '', { pk });
    const first = await reader.scanItems('t', '', 2);
    expect(first).toEqual(await store.scanItems('t', '', 2));
    expect(reader.isScanCursor(first.next!)).toBe(true);
    expect(await reader.scanItems('t', first.next!, 2)).toEqual({ items: [{ item: { pk: 'c' }, version: 1 }] });
  });

  it('refuses a page of no items rather than read one (its statements have no LIMIT)', async () => {
    const { store, reader } = openBoth();
    await put(store, 'a', '', { pk: 'a' });
    for (const limit of [0, -1, Number.NaN]) {
      await expect(reader.scanItems('t', '', limit)).rejects.toThrow(RangeError);
      await expect(reader.queryItems({ table: 't', pk: 'a', limit })).rejects.toThrow(RangeError);
    }
  });

  it('refuses reads once closed', async () => {
    const { reader } = openBoth();
    reader.close();
    await expect(reader.getItem('t', 'a', '1')).rejects.toThrow(/closed/);
  });

  it('refuses to open a state dir with no database', () => {
    const dir = tempDir('neolith-item-reader-empty-');
    closers.push(() => dir.remove());
    expect(() => SqliteItemReader.open(dir.path)).toThrow();
  });
});
