/**
 * The last bytes a thread printed, in memory the host shares with it. The
 * thread sends its output with each result; when it never answers (a
 * timeout, a crash, `process.exit`) the host reads what it printed from here
 * instead of losing it with the thread, as Lambda keeps the output of a
 * function that timed out.
 */
export class LogTailRing {
  /** Default size: far more than the 4 KB a `LogType: Tail` shows. */
  static readonly DEFAULT_BYTES = 64 * 1024;
  readonly buffer: SharedArrayBuffer;
  /** `[0]` next write position, `[1]` 1 once the ring went round (older output overwritten). */
  readonly #header: Int32Array;
  readonly #data: Uint8Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(8 + LogTailRing.DEFAULT_BYTES)) {
    this.buffer = buffer;
    this.#header = new Int32Array(buffer, 0, 2);
    this.#data = new Uint8Array(buffer, 8);
  }

  /** Writer side (the thread). */
  append(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    const size = this.#data.length;
    if (bytes.length >= size) {
      this.#data.set(bytes.subarray(bytes.length - size));
      Atomics.store(this.#header, 0, 0);
      Atomics.store(this.#header, 1, 1);
      return;
    }
    const at = Atomics.load(this.#header, 0);
    const first = Math.min(bytes.length, size - at);
    this.#data.set(bytes.subarray(0, first), at);
    if (first < bytes.length) this.#data.set(bytes.subarray(first), 0);
    const next = at + bytes.length;
    if (next >= size) Atomics.store(this.#header, 1, 1);
    Atomics.store(this.#header, 0, next % size);
  }

  /** Writer side: the output so far was delivered with a result. */
  clear(): void {
    // Flag first: a read in between sees the start of the old text, never all of it as new.
    Atomics.store(this.#header, 1, 0);
    Atomics.store(this.#header, 0, 0);
  }

  /** Reader side (the host): the output kept since the last `clear`, oldest first. */
  read(): string {
    const at = Atomics.load(this.#header, 0);
    if (Atomics.load(this.#header, 1) === 0) return Buffer.from(this.#data.subarray(0, at)).toString('utf8');
    const bytes = Buffer.concat([this.#data.subarray(at), this.#data.subarray(0, at)]);
    // The oldest line was cut: start at the next whole one.
    const newline = bytes.indexOf(0x0a);
    const whole = newline >= 0 && newline < bytes.length - 1 ? bytes.subarray(newline + 1) : bytes;
    return `[neolith: earlier output dropped]\n${whole.toString('utf8')}`;
  }
}
