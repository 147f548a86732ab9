import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server the `gated` fixture handler calls: each call is held until
 * the test releases it, so a test knows exactly when a handler is running
 * and decides when it ends.
 */
export class Gate {
  readonly #server = createServer((req, res) => this.#arrive(new URL(req.url!, 'http://x').searchParams.get('id')!, res));
  readonly #held = new Map<string, ServerResponse>();
  #waiters: Array<{ count: number; resolve: () => void }> = [];
  url = '';

  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
    return this;
  }

  /** Resolves once `count` handlers are being held. */
  arrived(count = 1): Promise<void> {
    if (this.#held.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** Request ids currently held. */
  get held(): string[] {
    return [...this.#held.keys()];
  }

  /** Lets every held handler (or the one with `id`) finish, answering `body`. */
  release(body = 'ok', id?: string): void {
    for (const [key, res] of this.#held) {
      if (id !== undefined && key !== id) continue;
      res.end(body);
      this.#held.delete(key);
    }
  }

  async close(): Promise<void> {
    this.release('closing');
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #arrive(id: string, res: ServerResponse): void {
    this.#held.set(id, res);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#held.size < w.count) return true;
      w.resolve();
      return false;
    });
  }
}
