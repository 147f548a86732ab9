import type { InvocationStatus } from '../backend.js';

/** Statuses in the order the record script expects their index keys. */
export const STATUS_ORDER: readonly InvocationStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED'];

/**
 * Every Redis key and channel of one namespace. Records are hashes; indexes
 * are sorted sets scored by acceptance time (the final index by last change,
 * for pruning); BullMQ keeps its own keys under `<prefix>:bull`.
 */
export class RedisKeys {
  readonly bullPrefix: string;
  readonly queueName = 'events';
  readonly channel: string;
  readonly recordPrefix: string;
  readonly allIndex: string;
  readonly finalIndex: string;
  readonly functionIndexPrefix: string;
  readonly deadLetterPrefix: string;
  readonly deadLetterIndex: string;
  readonly deadLetterFunctionIndexPrefix: string;
  /** The status indexes in `STATUS_ORDER`, built once: every record write passes all five. */
  readonly statusIndexes: readonly string[];
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
    this.bullPrefix = `${prefix}:bull`;
    this.channel = `${prefix}:records`;
    this.recordPrefix = `${prefix}:rec:`;
    this.allIndex = `${prefix}:ridx:all`;
    this.finalIndex = `${prefix}:ridx:final`;
    this.functionIndexPrefix = `${prefix}:ridx:fn:`;
    this.deadLetterPrefix = `${prefix}:dlq:`;
    this.deadLetterIndex = `${prefix}:dlqidx:all`;
    this.deadLetterFunctionIndexPrefix = `${prefix}:dlqidx:fn:`;
    this.statusIndexes = STATUS_ORDER.map((status) => this.statusIndex(status));
  }

  /**
   * An event's BullMQ job id. Prefixed: BullMQ keeps its queue's own keys
   * beside its jobs' (`…:meta`, `…:marker`, `…:id`), so a request id spelling
   * one would collide with them, and it refuses a job id that reads as an integer.
   */
  jobId(requestId: string): string {
    return `ev-${requestId}`;
  }

  record(id: string): string {
    return this.recordPrefix + id;
  }

  functionIndex(functionName: string): string {
    return this.functionIndexPrefix + functionName;
  }

  statusIndex(status: InvocationStatus): string {
    return `${this.#prefix}:ridx:status:${status}`;
  }

  deadLetter(id: string): string {
    return this.deadLetterPrefix + id;
  }

  /** Held while one caller redrives the letter, so two redrives cannot both enqueue it. */
  deadLetterRedrive(id: string): string {
    return `${this.#prefix}:dlqredrive:${id}`;
  }

  deadLetterFunctionIndex(functionName: string): string {
    return this.deadLetterFunctionIndexPrefix + functionName;
  }
}
