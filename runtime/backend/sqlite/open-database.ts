import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WalCheckpointer } from './wal-checkpointer.js';

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
 * of their own instead of inside a commit on the event loop.
 */
export function openDatabase(
  stateDir: string, synchronous: 'NORMAL' | 'FULL', onError: (error: Error) => void = (error) => process.emitWarning(error),
): OpenDatabase {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'neolith.db');
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    // Another connection holding the write lock briefly must not fail a write.
    db.pragma('busy_timeout = 5000');
    db.pragma('wal_autocheckpoint = 0');
  } catch (error) {
    db.close();
    throw error;
  }
  const checkpointer = WalCheckpointer.acquire(path, onError);
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
