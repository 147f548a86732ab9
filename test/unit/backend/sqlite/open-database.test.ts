import { execFile } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKSTOP_CHECKPOINT_PAGES, openDatabase, WAL_SIZE_LIMIT_BYTES, type OpenDatabase } from '../../../../runtime/backend/sqlite/open-database.js';
import { tempDir } from '../../../support/temp-dir.js';

const run = promisify(execFile);
const dirs: Array<{ remove: () => void }> = [];
const opened: OpenDatabase[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
  for (const dir of dirs.splice(0)) dir.remove();
});

function open(): { path: string; db: OpenDatabase } {
  const dir = tempDir();
  dirs.push(dir);
  const db = openDatabase(dir.path, 'NORMAL');
  opened.push(db);
  return { path: join(dir.path, 'neolith.db'), db };
}

describe('openDatabase', () => {
  it('leaves checkpoints to its thread: commits below the backstop never copy the WAL back, the thread does', async () => {
    const { path, db } = open();
    expect(db.db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_CHECKPOINT_PAGES);
    db.db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.db.prepare('INSERT INTO t (v) VALUES (?)');
    const sizeBefore = statSync(path).size;
    // ~2,000 pages of commits: SQLite's default checkpoint (1,000 pages) would have run inside one of them.
    expect(2000).toBeLessThan(BACKSTOP_CHECKPOINT_PAGES);
    for (let i = 0; i < 2000; i++) insert.run('x'.repeat(4000));
    // The database file grows only when a checkpoint copies pages into it.
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(sizeBefore + 1000 * 4096), { timeout: 10_000, interval: 20 });
    expect(db.db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(2000);
  });

  it('keeps the WAL bounded under a steady stream of commits (it only starts over when a commit finds it all copied)', () => {
    const { path, db } = open();
    db.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.db.prepare('INSERT INTO t (v) VALUES (?)');
    const trim = db.db.prepare('DELETE FROM t WHERE id < ?');
    const commit = db.db.transaction((n: number) => {
      insert.run('x'.repeat(200));
      trim.run(n - 1000);
    });
    // Back to back, as a busy queue commits: with only the thread checkpointing, this WAL passed 200 MB.
    for (let n = 0; n < 20_000; n++) commit(n);
    expect(statSync(`${path}-wal`).size).toBeLessThan(BACKSTOP_CHECKPOINT_PAGES * 4096 * 2 + WAL_SIZE_LIMIT_BYTES);
  });

  it('shares one thread between connections to the same file and checkpoints once the last one closes', async () => {
    const { path, db } = open();
    const second = openDatabase(join(path, '..'), 'NORMAL');
    db.db.exec('CREATE TABLE t (v TEXT)');
    second.db.prepare('INSERT INTO t (v) VALUES (?)').run('from the second connection');
    await db.close();
    expect(second.db.prepare('SELECT v FROM t').pluck().get()).toBe('from the second connection');
    await second.close();
    // The last connection out checkpointed and removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('keeps the process alive until the last checkpoint is written, so close() resolves', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const module = pathToFileURL(resolve(import.meta.dirname, '../../../../dist/runtime/backend/sqlite/open-database.js')).href;
    const script = join(dir.path, 'close.mjs');
    writeFileSync(script, `
      import { openDatabase } from ${JSON.stringify(module)};
      const opened = openDatabase(${JSON.stringify(join(dir.path, 'state'))}, 'NORMAL');
      opened.db.exec('CREATE TABLE t (v TEXT)');
      opened.db.prepare('INSERT INTO t (v) VALUES (?)').run('kept');
      await opened.close();
      console.log('closed');
    `);
    const { stdout } = await run(process.execPath, [script]);
    expect(stdout.trim()).toBe('closed');
    expect(existsSync(join(dir.path, 'state', 'neolith.db-wal'))).toBe(false);
  });
});
