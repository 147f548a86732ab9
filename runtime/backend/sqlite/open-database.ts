import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { WalCheckpointer } from './wal-checkpointer.js';
import { makeDirectory } from '../make-directory.js';

/**
 * Pages in the WAL past which a commit checkpoints by itself, as SQLite does
 * by default at 1,000. The checkpoint thread normally copies pages long
 * before; this backstop is what lets the WAL start over under a steady stream
 * of commits (it only rewinds when a writer finds every page copied, which a
 * thread racing the writers never guarantees), and what bounds it should the
 * thread die.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 4000;
/** Size the WAL file is cut back to once it starts over. */
export const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

/** neolith's SQLite file in a state dir, opened as every store of the host opens it. */
export interface OpenDatabase {
  readonly db: Database.Database;
  /** Closes the connection, then leaves the checkpoint thread (the last one out checkpoints). */
  close(): Promise<void>;
}

/**
 * Opens `<stateDir>/neolith.db` in WAL mode. WAL + NORMAL: a commit is in the
 * WAL file before `run()` returns, so a process crash (SIGKILL) loses nothing;
 * only power loss could (FULL syncs every commit). Checkpoints run on a thread
 * of their own instead of inside commits on the event loop.
 */
export function openDatabase(
  stateDir: string, synchronous: 'NORMAL' | 'FULL', onError: (error: Error) => void = (error) => process.emitWarning(error),
): OpenDatabase {
  makeDirectory(stateDir);
  const path = resolve(join(stateDir, 'neolith.db'));
  const db = new Database(path);
  let checkpointer: WalCheckpointer;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    // Another connection holding the write lock briefly must not fail a write.
    db.pragma('busy_timeout = 5000');
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    checkpointer = WalCheckpointer.acquire(path, onError);
  } catch (error) {
    db.close();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    db,
    close: () => {
      closed ??= (async () => {
        try {
          db.close();
        } finally {
          await checkpointer.release();
        }
      })();
      return closed;
    },
  };
}
