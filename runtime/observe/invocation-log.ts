/** One invocation's log, as Lambda writes it to CloudWatch. */
export interface InvocationLogEntry {
  requestId: string;
  functionName: string;
  /** The job inside the function that ran (micro and mono layouts), so job-level permissions apply to its log. */
  job?: string;
  /** Epoch ms when the invocation ended. */
  time: number;
  text: string;
}

/** Figures of one invocation that its REPORT line states. */
export interface InvocationReport {
  requestId: string;
  functionName: string;
  job?: string;
  /** The handler's own output, already in Lambda's line format. */
  handlerLogs: string;
  durationMs: number;
  memoryMB: number;
  maxMemoryMB: number;
  initDurationMs?: number;
}

/** @defaultValue entries kept per function and overall */
export interface InvocationLogOptions {
  /** @defaultValue 10000 */
  maxEntries?: number;
  /** @defaultValue 1000 */
  maxEntriesPerFunction?: number;
  /** Most log text kept in all, characters (function output can be large). @defaultValue 64 MiB */
  maxChars?: number;
}

const TAIL_BYTES = 4096;

/**
 * Keeps each invocation's START / output / END / REPORT text, by request id
 * and by function, bounded. Writing is one string concat and two map sets:
 * cheap enough for the invoke path.
 */
export class InvocationLog {
  readonly #byRequest = new Map<string, InvocationLogEntry>();
  readonly #byFunction = new Map<string, InvocationLogEntry[]>();
  readonly #maxEntries: number;
  readonly #maxPerFunction: number;
  readonly #listeners = new Set<(entry: InvocationLogEntry) => void>();
  // Eviction order, oldest first: deleting a Map's first key via keys().next()
  // walks the deleted slots V8 leaves behind (~8 µs a call at 10k entries).
  #queue: LazyEntry[] = [];
  #head = 0;
  readonly #maxChars: number;
  #chars = 0;

  constructor(options: InvocationLogOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxPerFunction = options.maxEntriesPerFunction ?? 1_000;
    this.#maxChars = options.maxChars ?? 64 * 1024 * 1024;
  }

  /**
   * Records an invocation; returns its full log text. A request id seen
   * before (an async retry: every attempt has the event's request id) gets
   * one entry holding all its attempts, which replaces the earlier one by id
   * and in its function's list.
   */
  record(report: InvocationReport): InvocationLogEntry {
    const id = report.requestId;
    const previous = this.#byRequest.get(id);
    const now = Date.now();
    const entry = new LazyEntry(report, now, previous?.text);
    if (previous) {
      this.#byRequest.delete(id);
      // The new entry repeats the earlier attempts' text: left in the list, a listing would show them
      // twice. Searched from the end, and only on a retry, which is rare next to first attempts.
      const list = this.#byFunction.get(previous.functionName);
      const at = list ? list.lastIndexOf(previous) : -1;
      if (at >= 0) list!.splice(at, 1);
    }
    this.#byRequest.set(id, entry);
    this.#queue.push(entry);
    this.#chars += entry.size;
    while ((this.#byRequest.size > this.#maxEntries || this.#chars > this.#maxChars) && this.#head < this.#queue.length - 1) {
      const old = this.#queue[this.#head++]!;
      // A retried request id re-queued itself: only its newest entry counts.
      if (this.#byRequest.get(old.requestId) === old) this.#byRequest.delete(old.requestId);
      this.#chars -= old.size;
      // Its function's list may still hold it until that list is trimmed: keep nothing of its text.
      old.evict();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    let list = this.#byFunction.get(report.functionName);
    if (!list) this.#byFunction.set(report.functionName, (list = []));
    list.push(entry);
    // Trimmed in bulk: a splice per record moves the whole list (~1 µs at 1000 entries).
    if (list.length >= 2 * this.#maxPerFunction) list.splice(0, list.length - this.#maxPerFunction);
    if (this.#listeners.size > 0) {
      // A follower has been sent the earlier attempts already: it gets this attempt's text alone.
      const news = previous ? new LazyEntry(report, now, undefined) : entry;
      for (const listener of this.#listeners) listener(news);
    }
    return entry;
  }

  get(requestId: string): InvocationLogEntry | undefined {
    return this.#byRequest.get(requestId);
  }

  /** The most recent entries of a function, oldest first. */
  recent(functionName: string, limit = 100): InvocationLogEntry[] {
    if (!(limit > 0)) return []; // slice(-0) would be everything
    const kept = (this.#byFunction.get(functionName) ?? []).filter((entry) => !(entry as LazyEntry).evicted);
    return kept.slice(-Math.min(limit, this.#maxPerFunction));
  }

  /**
   * Calls `listener` for each new entry until the returned function is called.
   * A retried request's later attempt comes as an entry of its own, holding
   * that attempt's log only (the follower saw the earlier ones as they ended).
   */
  follow(listener: (entry: InvocationLogEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The last 4 KB of a text, base64, from a whole character — `X-Amz-Log-Result` of `LogType: Tail`. */
  static tail(text: string): string {
    const bytes = Buffer.from(text, 'utf8');
    return bytes.subarray(wholeCharacterStart(bytes)).toString('base64');
  }

  /**
   * The last 4 KB of an entry's text (START, output, END and REPORT, every
   * attempt of a retried event) as text — an async invocation record's
   * `logTail`. It starts at a whole character, and renders the entry without
   * keeping the text in it (see LazyEntry).
   */
  static tailText(entry: InvocationLogEntry): string {
    const text = entry instanceof LazyEntry ? entry.renderedText() : entry.text;
    // At most 3 UTF-8 bytes per UTF-16 unit: a short text fits without encoding it.
    if (text.length * 3 <= TAIL_BYTES) return text;
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= TAIL_BYTES) return text;
    return bytes.subarray(wholeCharacterStart(bytes)).toString('utf8');
  }
}

/** Where the last TAIL_BYTES of `bytes` start, moved on past a character's continuation bytes. */
function wholeCharacterStart(bytes: Buffer): number {
  let start = Math.max(0, bytes.length - TAIL_BYTES);
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return start;
}

/**
 * An entry whose text is rendered on first read: most are never read, and
 * 10,000 retained strings made of a dozen parts each cost the young-generation
 * GC ~2 µs per invocation (they all survive and get copied twice).
 */
class LazyEntry implements InvocationLogEntry {
  readonly requestId: string;
  readonly functionName: string;
  readonly job: string | undefined;
  readonly time: number;
  /** Characters of log text it holds (about: the handler's output and an earlier attempt's text). */
  readonly size: number;
  evicted = false;
  #report: InvocationReport | undefined;
  #text: string | undefined;
  #prefix: string | undefined;
  constructor(report: InvocationReport, time: number, prefix: string | undefined) {
    this.requestId = report.requestId; this.functionName = report.functionName; this.job = report.job; this.time = time; this.#report = report; this.#prefix = prefix;
    this.size = report.handlerLogs.length + (prefix?.length ?? 0) + 256;
  }

  /** Dropped from the log: frees its text. */
  evict(): void {
    this.evicted = true;
    this.#report = undefined;
    this.#prefix = undefined;
    this.#text = '';
  }
  get text(): string {
    if (this.#text === undefined) {
      this.#text = this.renderedText();
      this.#report = undefined; this.#prefix = undefined;
    }
    return this.#text;
  }

  /** The text, rendered now if it was never read, and not kept. */
  renderedText(): string {
    if (this.#text !== undefined) return this.#text;
    const report = this.#report!;
    const id = report.requestId;
    const billed = Math.max(1, Math.ceil(report.durationMs));
    const init = report.initDurationMs === undefined ? '' : `\tInit Duration: ${report.initDurationMs.toFixed(2)} ms`;
    const text =
      // END is a line of its own even after output that did not end one (process.stdout.write('…')).
      `START RequestId: ${id} Version: $LATEST\n${report.handlerLogs}${report.handlerLogs === '' || report.handlerLogs.endsWith('\n') ? '' : '\n'}END RequestId: ${id}\n` +
      `REPORT RequestId: ${id}\tDuration: ${report.durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\t` +
      `Memory Size: ${report.memoryMB} MB\tMax Memory Used: ${report.maxMemoryMB} MB${init}\t\n`;
    return this.#prefix ? this.#prefix + text : text;
  }

  /** A plain entry for JSON (the text is a getter, which JSON.stringify would skip). */
  toJSON(): InvocationLogEntry {
    const plain: InvocationLogEntry = { requestId: this.requestId, functionName: this.functionName, time: this.time, text: this.text };
    if (this.job !== undefined) plain.job = this.job;
    return plain;
  }
}
