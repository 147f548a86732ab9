import type { AddPermissionInput, PermissionPolicy, PolicyStatement } from '../auth/index.js';
import { DEFAULT_ASYNC_POLICY, type ResolvedAsyncPolicy } from '../config/index.js';
import { InvalidParameterValueError, ResourceNotFoundError } from '../errors/index.js';
import type { FunctionRegistry, RegisteredFunction } from '../invoke/index.js';
import type { ManagedFunctionState, ManagementState, ManagementStore } from './management-store.js';

/** What the manager changes and where it keeps the changes. */
export interface FunctionManagerParts {
  registry: FunctionRegistry;
  store: ManagementStore;
  policy: PermissionPolicy;
  region: string;
  accountId: string;
  /** Host-wide concurrency: reserved concurrency of all functions together may not exceed it. */
  concurrencyLimit: number;
  /** The config's topics: the only ones a destination may name. */
  topics: readonly string[];
  /** @defaultValue Date.now */
  now?: () => number;
}

/** Lambda's FunctionEventInvokeConfig on the wire. */
export interface EventInvokeConfigWire {
  LastModified: number;
  FunctionArn: string;
  MaximumRetryAttempts: number;
  MaximumEventAgeInSeconds: number;
  DestinationConfig: { OnSuccess: { Destination?: string }; OnFailure: { Destination?: string } };
}

/**
 * Runtime changes of functions through Lambda's management API: reserved
 * concurrency, async (EventInvokeConfig) policy and permission statements.
 * Each change takes effect at once — the function's spec is what the
 * invoker and dispatcher read on every call — and is saved to the store;
 * saved changes are re-applied when the manager is built at start.
 */
export class FunctionManager {
  readonly #parts: FunctionManagerParts;
  readonly #state: ManagementState;
  readonly #startedAt: number;

  constructor(parts: FunctionManagerParts) {
    this.#parts = parts;
    this.#startedAt = (parts.now ?? Date.now)() / 1000;
    this.#state = parts.store.load();
    const statements: Record<string, PolicyStatement[]> = {};
    for (const [name, saved] of Object.entries(this.#state.functions)) {
      const fn = parts.registry.get(name);
      // A function gone from the config keeps its saved state, unused, in case it comes back.
      if (!fn) continue;
      if (saved.reservedConcurrency === null) delete fn.spec.reservedConcurrency;
      else if (saved.reservedConcurrency !== undefined) fn.spec.reservedConcurrency = saved.reservedConcurrency;
      // What the API set; retry delays (no API sets them) stay the config's, edits to it included.
      if (saved.async) fn.spec.async = { ...saved.async, retryDelaysMs: fn.spec.async.retryDelaysMs };
      else if (saved.async === null) fn.spec.async = lambdaDefaults(fn.spec.async);
      if (saved.statements) statements[name] = saved.statements;
    }
    parts.policy.restore(statements);
  }

  /** The host's concurrency limit: the account's, as GetAccountSettings reports it. */
  get concurrencyLimit(): number {
    return this.#parts.concurrencyLimit;
  }

  // ---------------------------------------------------------------------------
  // Concurrency
  // ---------------------------------------------------------------------------

  /** PutFunctionConcurrency: reserves `value` slots (0 disables the function). */
  putConcurrency(fn: RegisteredFunction, value: unknown): number {
    const limit = this.#parts.concurrencyLimit;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new InvalidParameterValueError(`1 validation error detected: Value '${String(value)}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    }
    const others = this.#parts.registry.list()
      .filter((f) => f !== fn)
      .reduce((sum, f) => sum + (f.spec.reservedConcurrency ?? 0), 0);
    if (others + value > limit) {
      throw new InvalidParameterValueError(`Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [0]: ${others} already reserved of the host's concurrencyLimit ${limit}`);
    }
    fn.spec.reservedConcurrency = value;
    this.#change(fn.spec.name, { reservedConcurrency: value });
    return value;
  }

  /** DeleteFunctionConcurrency: the function shares the unreserved pool again. */
  deleteConcurrency(fn: RegisteredFunction): void {
    delete fn.spec.reservedConcurrency;
    this.#change(fn.spec.name, { reservedConcurrency: null });
  }

  // ---------------------------------------------------------------------------
  // EventInvokeConfig
  // ---------------------------------------------------------------------------

  /**
   * GetFunctionEventInvokeConfig: the policy in effect. A function has one
   * when its config sets `async` or one was put, until it is deleted; else
   * `ResourceNotFoundException`, as Lambda answers (the defaults apply).
   */
  eventInvokeConfig(fn: RegisteredFunction): EventInvokeConfigWire {
    this.#requireEventInvokeConfig(fn);
    const a = fn.spec.async;
    const modified = this.#state.functions[fn.spec.name]?.asyncModified ?? this.#startedAt;
    return {
      LastModified: modified,
      FunctionArn: `${fn.arn}:$LATEST`,
      MaximumRetryAttempts: a.maxRetries,
      MaximumEventAgeInSeconds: a.maxEventAgeSeconds,
      DestinationConfig: {
        OnSuccess: a.onSuccess !== undefined ? { Destination: this.#toArn(a.onSuccess) } : {},
        OnFailure: { Destination: this.#toArn(a.onFailure) },
      },
    };
  }

  /**
   * Put (replace: unset fields take Lambda's defaults) or Update (merge)
   * FunctionEventInvokeConfig. Retry delays are neolith's own and are kept.
   */
  putEventInvokeConfig(fn: RegisteredFunction, body: Record<string, unknown>, merge: boolean): EventInvokeConfigWire {
    // Update changes a config that exists; Put makes one.
    if (merge) this.#requireEventInvokeConfig(fn);
    const current = fn.spec.async;
    const next: ResolvedAsyncPolicy = merge
      ? { ...current }
      : lambdaDefaults(current);
    const retries = body.MaximumRetryAttempts;
    if (retries !== undefined && retries !== null) {
      if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 2) {
        throw new InvalidParameterValueError(`1 validation error detected: Value '${String(retries)}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 2`);
      }
      next.maxRetries = retries;
    }
    const age = body.MaximumEventAgeInSeconds;
    if (age !== undefined && age !== null) {
      if (typeof age !== 'number' || !Number.isInteger(age) || age < 60 || age > 21600) {
        throw new InvalidParameterValueError(`1 validation error detected: Value '${String(age)}' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600`);
      }
      next.maxEventAgeSeconds = age;
    }
    const destinations = body.DestinationConfig;
    if (destinations !== undefined && destinations !== null) {
      if (typeof destinations !== 'object') throw new InvalidParameterValueError('DestinationConfig must be an object');
      const { OnSuccess: onSuccess, OnFailure: onFailure } = destinations as Record<string, { Destination?: unknown } | undefined>;
      if (onSuccess?.Destination !== undefined) next.onSuccess = this.#fromArn(onSuccess.Destination);
      else if (!merge || onSuccess !== undefined) delete next.onSuccess;
      if (onFailure?.Destination !== undefined) next.onFailure = this.#fromArn(onFailure.Destination);
      else if (!merge || onFailure !== undefined) next.onFailure = DEFAULT_ASYNC_POLICY.onFailure;
    }
    fn.spec.async = next;
    this.#change(fn.spec.name, { async: next, asyncModified: this.#nowSeconds() });
    return this.eventInvokeConfig(fn);
  }

  /** DeleteFunctionEventInvokeConfig: back to Lambda's defaults, with no config to read. */
  deleteEventInvokeConfig(fn: RegisteredFunction): void {
    this.#requireEventInvokeConfig(fn);
    fn.spec.async = lambdaDefaults(fn.spec.async);
    this.#change(fn.spec.name, { async: null, asyncModified: this.#nowSeconds() });
  }

  #requireEventInvokeConfig(fn: RegisteredFunction): void {
    const saved = this.#state.functions[fn.spec.name]?.async;
    const exists = saved === undefined ? fn.spec.asyncConfigured === true : saved !== null;
    if (!exists) throw new ResourceNotFoundError(`The function ${fn.arn}:$LATEST doesn't have an EventInvokeConfig`);
  }

  // ---------------------------------------------------------------------------
  // Permissions
  // ---------------------------------------------------------------------------

  addPermission(fn: RegisteredFunction, input: AddPermissionInput): PolicyStatement {
    const statement = this.#parts.policy.add(fn.spec.name, input);
    this.#change(fn.spec.name, { statements: this.#parts.policy.added()[fn.spec.name] ?? [] });
    return statement;
  }

  removePermission(fn: RegisteredFunction, sid: string): void {
    this.#parts.policy.remove(fn.spec.name, sid);
    this.#change(fn.spec.name, { statements: this.#parts.policy.added()[fn.spec.name] ?? [] });
  }

  policyOf(fn: RegisteredFunction): { Policy: string; RevisionId: string } {
    return this.#parts.policy.policyOf(fn.spec.name);
  }

  #change(name: string, patch: ManagedFunctionState): void {
    this.#state.functions[name] = { ...this.#state.functions[name], ...patch };
    this.#parts.store.save(this.#state);
  }

  #nowSeconds(): number {
    return (this.#parts.now ?? Date.now)() / 1000;
  }

  /** neolith's destination (`fn`, `topic:x`, `dlq`) → the ARN Lambda's API shows. */
  #toArn(destination: string): string {
    const { region, accountId } = this.#parts;
    if (destination === 'dlq') return `arn:aws:sqs:${region}:${accountId}:neolith-dlq`;
    if (destination.startsWith('topic:')) return `arn:aws:sns:${region}:${accountId}:${destination.slice(6)}`;
    return `arn:aws:lambda:${region}:${accountId}:function:${destination}`;
  }

  /** An ARN (or neolith's short form) → neolith's destination; the function or form must exist. */
  #fromArn(value: unknown): string {
    if (typeof value !== 'string' || value.length === 0 || value.length > 350) {
      throw new InvalidParameterValueError(`The destination ARN ${JSON.stringify(value)} is invalid.`);
    }
    const { region, accountId } = this.#parts;
    if (value === 'dlq' || value === `arn:aws:sqs:${region}:${accountId}:neolith-dlq`) return 'dlq';
    const topicArn = /^arn:aws:sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256})$/.exec(value);
    // Another account's or region's topic or function is not one this host can deliver to.
    if (topicArn && (topicArn[1] !== region || topicArn[2] !== accountId)) {
      throw new InvalidParameterValueError(`The destination ARN ${value} is invalid: it is not in this host's account ${accountId} and region ${region}.`);
    }
    const topic = topicArn?.[3] ?? /^topic:([\w-]{1,256})$/.exec(value)?.[1];
    if (topic) {
      // A topic the host does not have could not take the record: the event it reports would be lost.
      if (!this.#parts.topics.includes(topic)) throw new InvalidParameterValueError(`The destination ARN ${value} is invalid: no topic ${topic} on this host.`);
      return `topic:${topic}`;
    }
    const name = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:([\w-]{1,64})(?::\$LATEST)?$/.exec(value)?.[1] ?? (/^[\w-]+(\/[\w-]+)?$/.test(value) ? value : undefined);
    if (name !== undefined) {
      try {
        // The whole ARN: the registry refuses another account's or region's function.
        this.#parts.registry.resolve(value);
        return name;
      } catch {
        throw new InvalidParameterValueError(`The destination ARN ${value} is invalid: no function ${name} on this host.`);
      }
    }
    throw new InvalidParameterValueError(`The destination ARN ${value} is invalid: use a function ARN, an SNS topic ARN or arn:aws:sqs:${region}:${accountId}:neolith-dlq.`);
  }
}

/** Lambda's async defaults in place of `policy`; retry delays are neolith's own and are kept. */
function lambdaDefaults(policy: ResolvedAsyncPolicy): ResolvedAsyncPolicy {
  return { ...DEFAULT_ASYNC_POLICY, retryDelaysMs: policy.retryDelaysMs };
}
