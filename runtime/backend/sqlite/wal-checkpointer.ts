import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the thread copies the WAL back into the database file. */
const CHECKPOINT_EVERY_MS = 100;

// Plain CommonJS run by the thread: its own connection, a PASSIVE checkpoint on a timer
// (it never blocks a writer), a last one when told to stop.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ error: String(error && error.message || error) }); }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

interface Shared {
  worker: Worker;
  users: number;
  exited: Promise<void>;
}

const running = new Map<string, Shared>();

/**
 * Checkpoints a WAL database file from a thread of its own. A checkpoint
 * copies pages back into the database file and syncs it; SQLite's automatic
 * one runs inside whichever commit crosses 1,000 pages, so a queue commit on
 * the event loop would now and then pay tens of milliseconds for it. The
 * connections that use this set `wal_autocheckpoint = 0`. One thread per
 * file, shared by every connection that acquires it.
 */
export class WalCheckpointer {
  readonly #path: string;
  #released = false;

  private constructor(path: string) {
    this.#path = path;
  }

  /** Starts (or joins) the checkpoint thread of `path`. */
  static acquire(path: string, onError: (error: Error) => void): WalCheckpointer {
    let shared = running.get(path);
    if (!shared) {
      const worker = new Worker(THREAD_SOURCE, {
        eval: true,
        env: {},
        execArgv: [],
        workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), everyMs: CHECKPOINT_EVERY_MS },
      });
      worker.on('message', (message: { error?: string }) => {
        if (message.error) onError(new Error(`WAL checkpoint of ${path} failed: ${message.error}`));
      });
      worker.on('error', onError);
      // An idle host must still be able to exit.
      worker.unref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      shared = { worker, users: 0, exited };
      running.set(path, shared);
    }
    shared.users++;
    return new WalCheckpointer(path);
  }

  /** Leaves the thread; the last user stops it after one final checkpoint. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const shared = running.get(this.#path);
    if (!shared || --shared.users > 0) return;
    running.delete(this.#path);
    // Held open until the last checkpoint is written: whoever awaits this must not see the process exit first.
    shared.worker.ref();
    shared.worker.postMessage('stop');
    await shared.exited;
  }
}
