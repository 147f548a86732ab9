/**
 * SQLite objects: each body version has its own file, named in the row, so a
 * put that fails to commit leaves the object it would have replaced whole,
 * and stores made before versions existed still read.
 */
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteSourceStore } from '../../../../runtime/backend/index.js';
import { tempDir } from '../../../support/temp-dir.js';

describe('SqliteSourceStore objects', () => {
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const dir of dirs.splice(0)) dir.remove();
  });
  function open(dir = tempDir('neolith-objects-')) {
    if (!dirs.includes(dir)) dirs.push(dir);
    const store = new SqliteSourceStore(dir.path);
    closers.push(() => store.close());
    return { dir, store };
  }
  const files = (dir: string) => readdirSync(join(dir, 'buckets', 'b')).sort();

  /**
   * A state dir as a store from before body versions left it: no `file`
   * column, object b/k's body "legacy" named by the key's hash alone.
   * Returns the body's path.
   */
  function legacyStateDir(dir: ReturnType<typeof tempDir>): string {
    const db = new Database(join(dir.path, 'neolith.db'));
    db.exec(`CREATE TABLE src_objects (bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, ctype TEXT NOT NULL,
      modified INTEGER NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID`);
    db.prepare('INSERT INTO src_objects VALUES (?, ?, ?, ?, ?, ?)').run('b', 'k', 6, createHash('md5').update('legacy').digest('hex'), 'text/plain', 1);
    db.close();
    mkdirSync(join(dir.path, 'buckets', 'b'), { recursive: true });
    const body = join(dir.path, 'buckets', 'b', createHash('sha256').update('k').digest('hex'));
    writeFileSync(body, 'legacy');
    return body;
  }

  it('a put that fails to commit leaves the old body under the old metadata, and no file behind', async () => {
    const { dir, store } = open();
    const old = await store.putObject('b', 'k', Buffer.from('old'), 'text/plain');
    const before = files(dir.path);
    // Another connection makes the next write of this row fail inside the transaction.
    const other = new Database(join(dir.path, 'neolith.db'));
    closers.push(() => other.close());
    other.exec("CREATE TRIGGER refuse BEFORE UPDATE ON src_objects WHEN NEW.size = 5 BEGIN SELECT RAISE(ABORT, 'refused'); END");
    await expect(store.putObject('b', 'k', Buffer.from('newer'), 'text/plain', () => [{ id: 'n', functionName: 'f', payload: '{}', createdAt: 1 }])).rejects.toThrow('refused');
    const got = await store.getObject('b', 'k');
    expect(got?.body.toString()).toBe('old');
    expect(got?.meta.eTag).toBe(old.eTag);
    expect(files(dir.path)).toEqual(before);
    expect(await store.pendingNotifications(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('keeps one file per object: a replaced or deleted body is removed', async () => {
    const { dir, store } = open();
    await store.putObject('b', 'k', Buffer.from('1'), 'text/plain');
    await store.putObject('b', 'k', Buffer.from('22'), 'text/plain');
    await store.putObject('b', 'other', Buffer.from('3'), 'text/plain');
    expect(files(dir.path)).toHaveLength(2);
    expect((await store.getObject('b', 'k'))?.body.toString()).toBe('22');
    await store.deleteObject('b', 'k');
    expect(files(dir.path)).toHaveLength(1);
    expect(await store.getObject('b', 'k')).toBeUndefined();
  });

  it('reads, replaces and deletes objects a store without body versions wrote', async () => {
    const dir = tempDir('neolith-objects-legacy-');
    dirs.push(dir);
    legacyStateDir(dir);
    const hash = createHash('sha256').update('k').digest('hex');
    const { store } = open(dir);
    expect((await store.getObject('b', 'k'))?.body.toString()).toBe('legacy');
    await store.putObject('b', 'k', Buffer.from('fresh'), 'text/plain');
    expect(files(dir.path)).toEqual([expect.stringMatching(new RegExp(`^${hash}\\.`))]);
    expect((await store.getObject('b', 'k'))?.body.toString()).toBe('fresh');
    // A second store on the same directory (a CLI beside `serve`) opens it as well.
    const { store: second } = open(dir);
    expect((await second.getObject('b', 'k'))?.body.toString()).toBe('fresh');
  });

  it('removes, at open, body files no row names once they are an hour old, and nothing else', async () => {
    const { dir, store } = open();
    await store.putObject('b', 'live', Buffer.from('kept'), 'text/plain');
    await store.close();
    const folder = join(dir.path, 'buckets', 'b');
    const hash = createHash('sha256').update('gone').digest('hex');
    const old = (Date.now() - 2 * 60 * 60 * 1000) / 1000;
    // The live body is as old as the orphans: only its row keeps it.
    for (const name of readdirSync(folder)) utimesSync(join(folder, name), old, old);
    // What crashes leave: a half-written file, a committed-never file, a file whose delete died.
    for (const name of [`${hash}.0000.tmp`, `${hash}.1111`, hash]) {
      writeFileSync(join(folder, name), 'x');
      utimesSync(join(folder, name), old, old);
    }
    // A put under way in another process right now.
    writeFileSync(join(folder, `${hash}.2222.tmp`), 'x');
    const before = files(dir.path);
    expect(before).toHaveLength(5);
    const { store: reopened } = open(dir);
    expect(files(dir.path)).toEqual([before.find((f) => !f.startsWith(hash))!, `${hash}.2222.tmp`].sort());
    expect((await reopened.getObject('b', 'live'))?.body.toString()).toBe('kept');
  });

  it('keeps, at open, the old unversioned bodies that rows from before body versions name', async () => {
    const dir = tempDir('neolith-objects-legacy-sweep-');
    dirs.push(dir);
    const legacy = legacyStateDir(dir);
    const old = (Date.now() - 2 * 60 * 60 * 1000) / 1000;
    utimesSync(legacy, old, old);
    const { store } = open(dir);
    expect((await store.getObject('b', 'k'))?.body.toString()).toBe('legacy');
  });
});
