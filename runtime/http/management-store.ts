import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PolicyStatement } from '../auth/index.js';
import type { ResolvedAsyncPolicy } from '../config/index.js';

/** What the management API changed about one function. */
export interface ManagedFunctionState {
  /** A number: reserved (PutFunctionConcurrency); `null`: unreserved (DeleteFunctionConcurrency); absent: as configured. */
  reservedConcurrency?: number | null;
  /** The whole async policy after Put/UpdateFunctionEventInvokeConfig; `null` after Delete (defaults, no config); absent: as configured. */
  async?: ResolvedAsyncPolicy | null;
  /** When `async` last changed, epoch seconds (EventInvokeConfig's LastModified). */
  asyncModified?: number;
  /** Statements added with AddPermission. */
  statements?: PolicyStatement[];
}

/** Every runtime change made through the management API, by function name. */
export interface ManagementState {
  version: 1;
  functions: Record<string, ManagedFunctionState>;
}

/**
 * Where management-API changes are kept so a restart re-applies them. A
 * contract of its own so it can move into the durable backend later.
 */
export interface ManagementStore {
  /** The saved state, or an empty one. */
  load(): ManagementState;
  /** Replaces the saved state; durable when it returns. */
  save(state: ManagementState): void;
}

/** An empty state. */
export const emptyManagementState = (): ManagementState => ({ version: 1, functions: {} });

/**
 * The state as one JSON file (`<stateDir>/management.json`), replaced
 * atomically (write a temp file, then rename) so a crash never leaves half a
 * file. Changes are rare (an operator's call), so writes are synchronous.
 */
export class JsonFileManagementStore implements ManagementStore {
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  load(): ManagementState {
    if (!existsSync(this.#file)) return emptyManagementState();
    try {
      const parsed = JSON.parse(readFileSync(this.#file, 'utf8')) as Partial<ManagementState>;
      if (parsed.version !== 1 || typeof parsed.functions !== 'object' || parsed.functions === null) throw new Error('unknown format');
      return { version: 1, functions: parsed.functions };
    } catch (error) {
      // A damaged file must not stop the host; the config's settings apply.
      process.emitWarning(`neolith: ignoring ${this.#file}: ${(error as Error).message}`);
      return emptyManagementState();
    }
  }

  save(state: ManagementState): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    const temp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(temp, this.#file);
  }
}
