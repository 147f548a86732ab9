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
let reported = '';
let reportedAt = 0;
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    reported = '';
  } catch (error) {
    // The same failure is reported once a minute, not every run.
    const message = String(error && error.message || error);
    if (message === reported && Date.now() - reportedAt < 60000) return;
    reported = message;
    reportedAt = Date.now();
    parentPort.postMessage({ error: message });
  }
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
 * connections that use this raise `wal_autocheckpoint` to a backstop (see
 * open-database.ts). One thread per file, shared by every connection that
 * acquires it; a thread that died is replaced by the next acquire.
 */
export class WalCheckpointer {
  readonly #path: string;
  readonly #shared: Shared;
  #released = false;

  private constructor(path: string, shared: Shared) {
    this.#path = path;
    this.#shared = shared;
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
      const started: Shared = { worker, users: 0, exited };
      // Died or stopped: forget it, so the next acquire starts a new one (the backstop
      // checkpoint of each connection bounds the WAL meanwhile).
      void exited.then(() => {
        if (running.get(path) === started) running.delete(path);
      });
      shared = started;
      running.set(path, shared);
    }
    shared.users++;
    return new WalCheckpointer(path, shared);
  }

  /** Leaves the thread; the last user stops it after one final checkpoint. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const shared = this.#shared;
    if (--shared.users > 0) return;
    if (running.get(this.#path) === shared) running.delete(this.#path);
    // Held open until the last checkpoint is written: whoever awaits this must not see the process exit first.
    shared.worker.ref();
    shared.worker.postMessage('stop');
    await shared.exited;
  }
}
