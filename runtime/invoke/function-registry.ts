import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FunctionSpec, ResolvedConfig } from '../config/index.js';
import { nanoFunctionName } from '../config/index.js';
import { FunctionPool, type FunctionPackage, type HostCallHandler, type PoolBinding, type TableReadsSpec, type SpareEnvironments } from '../environment/index.js';
import { InvalidParameterValueError, ResourceNotFoundError } from '../errors/index.js';

/** A function as the invoker knows it: its spec, its pool and its input checks. */
export interface RegisteredFunction {
  spec: FunctionSpec;
  arn: string;
  pool: FunctionPool;
  package: FunctionPackage;
  /** Input schema check of the function (plain functions). */
  validate?: ValidateFunction;
  /** Input schema check per job. */
  jobValidators: Map<string, ValidateFunction>;
}

/** A resolved invocation target: the function, and the job inside it if any. */
export interface Target {
  fn: RegisteredFunction;
  job?: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });

// ── Function names as Lambda reads them ─────────────────────────────────────

/**
 * A `FunctionName` taken apart. Lambda accepts `name`, `name:qualifier`, the
 * partial ARN `123456789012:function:name[:qualifier]` and the ARN
 * `arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]`.
 */
export interface ParsedFunctionName {
  /** The function's name (or a job address, `users/getUser`). */
  name: string;
  qualifier?: string;
  /** From an ARN or partial ARN. */
  accountId?: string;
  /** From a full ARN. */
  region?: string;
  partition?: string;
}

/**
 * Lambda's FunctionName forms, anchored: `(arn:aws…:lambda:region:)?(account:function:)?name(:qualifier)?`.
 * The region part is as loose as the config's region rule, so every ARN the host makes parses.
 * A name is Lambda's `[a-zA-Z0-9-_.]+`, or a job address (`users/getUser`) as neolith adds.
 */
const FUNCTION_NAME = /^(?:(?:arn:(aws[a-zA-Z-]*):lambda:([a-z]{2}(?:-[a-z]+)+-\d):)?(\d{12}):function:)?([\w.-]+|[\w-]+\/[\w-]+)(?::(\$LATEST|[\w-]+))?$/;
/** Lambda's rule for the `Qualifier` parameter (a well-formed one that is not $LATEST is simply not found here). */
const QUALIFIER = /^[\w$-]{1,128}$/;
/** Lambda's limits: 170 characters for an ARN, 64 for the name alone. */
const MAX_FUNCTION_NAME_CHARS = 170;
const MAX_NAME_CHARS = 64;
const FUNCTION_NAME_RULE = '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';

/**
 * Takes a FunctionName apart as Lambda does; throws InvalidParameterValueError
 * (HTTP 400) for anything else — extra segments, stray colons, bad characters.
 */
export function parseFunctionName(value: string): ParsedFunctionName {
  const match = value.length <= MAX_FUNCTION_NAME_CHARS ? FUNCTION_NAME.exec(value) : null;
  // The 64-character rule is Lambda's, for function names; a job address (`domain/job`) is neolith's own.
  if (!match || (match[4]!.length > MAX_NAME_CHARS && !match[4]!.includes('/'))) {
    throw new InvalidParameterValueError(
      `1 validation error detected: Value '${value.slice(0, 200)}' at 'functionName' failed to satisfy constraint: ` +
      `Member must satisfy regular expression pattern: ${FUNCTION_NAME_RULE}`,
    );
  }
  const [, partition, region, accountId, name, qualifier] = match;
  const parsed: ParsedFunctionName = { name: name! };
  if (qualifier !== undefined) parsed.qualifier = qualifier;
  if (accountId !== undefined) parsed.accountId = accountId;
  if (region !== undefined) {
    parsed.region = region;
    parsed.partition = partition!;
  }
  return parsed;
}

/**
 * Every function of the host, and every name it answers to: its own name,
 * its ARN, `name:$LATEST`, and for a job inside a layout-built function the
 * job's nano name (`users-getUser`) or path (`users/getUser`), so callers
 * address a job the same way in every layout.
 */
export class FunctionRegistry {
  readonly #byName = new Map<string, RegisteredFunction>();
  readonly #targets = new Map<string, Target>();
  readonly #config: ResolvedConfig;
  /** The host's URL once it listens; environments get it as NEOLITH_HOST_URL (the sources client). */
  hostUrl = '';
  /** Serves the sources client's operations in-process, once the host has its sources (else the client uses HTTP). */
  hostCall: HostCallHandler | undefined;
  /** The table reads environments may do themselves (the sqlite backend); environments started after it is set get it. */
  tableReads: TableReadsSpec | undefined;

  constructor(config: ResolvedConfig, packages: Map<string, FunctionPackage>, spares: SpareEnvironments) {
    this.#config = config;
    for (const spec of config.functions) {
      const arn = `arn:aws:lambda:${config.region}:${config.accountId}:function:${spec.name}`;
      const pkg = packages.get(spec.name)!;
      const fn: RegisteredFunction = {
        spec, arn, package: pkg,
        pool: new FunctionPool(this.#binding(spec, arn, pkg), spares),
        jobValidators: new Map(Object.entries(spec.jobSchemas ?? {}).map(([job, schema]) => [job, ajv.compile(schema)])),
      };
      if (spec.inputSchema) fn.validate = ajv.compile(spec.inputSchema);
      this.#byName.set(spec.name, fn);
      // A function holding one job runs that job when called by its own name: the target says so,
      // so the job's permissions and input schema hold however it is addressed.
      const jobs = spec.kind === 'jobs' ? Object.keys(spec.jobs) : [];
      this.#targets.set(spec.name, jobs.length === 1 ? { fn, job: jobs[0]! } : { fn });
    }
    for (const [job, fnName] of Object.entries(config.jobToFunction)) {
      const target = { fn: this.#byName.get(fnName)!, job };
      this.#targets.set(job, target);
      if (!this.#byName.has(nanoFunctionName(job))) this.#targets.set(nanoFunctionName(job), target);
    }
  }

  /**
   * Resolves a name, ARN, partial ARN or job address, with the `Qualifier`
   * given apart if any; throws Lambda's errors for malformed names (400), a
   * qualifier the name contradicts (400), and functions that are not here —
   * unknown, another version, or another account's or region's (404).
   */
  resolve(name: string, qualifier?: string): Target {
    if (!qualifier) {
      const direct = this.#targets.get(name);
      if (direct) return direct;
    } else if (!QUALIFIER.test(qualifier)) {
      throw new InvalidParameterValueError(
        `1 validation error detected: Value '${qualifier.slice(0, 200)}' at 'qualifier' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)',
      );
    }
    const parsed = parseFunctionName(name);
    // Lambda's own check and words (a pair that agrees is as good as one of them).
    if (qualifier && parsed.qualifier !== undefined && parsed.qualifier !== qualifier) {
      throw new InvalidParameterValueError('The derived qualifier from the function name does not match the specified qualifier.');
    }
    const { region, accountId } = this.#config;
    if (parsed.region !== undefined && parsed.region !== region) {
      // What Lambda answers for an ARN of another region.
      throw new ResourceNotFoundError(`Functions from '${parsed.region}' are not reachable in this region ('${region}')`);
    }
    const version = parsed.qualifier ?? (qualifier || undefined);
    const target = this.#targets.get(parsed.name);
    // Only $LATEST exists here; another account's or partition's function is not one of ours.
    if (!target || (version !== undefined && version !== '$LATEST')
      || (parsed.accountId !== undefined && parsed.accountId !== accountId) || (parsed.partition !== undefined && parsed.partition !== 'aws')) {
      const arn = `arn:${parsed.partition ?? 'aws'}:lambda:${region}:${parsed.accountId ?? accountId}:function:${parsed.name}${version ? `:${version}` : ''}`;
      throw new ResourceNotFoundError(`Function not found: ${arn}`);
    }
    return target;
  }

  /** The job a function runs when called by its own name: its only one; undefined for others and unknown names. */
  soleJob(functionName: string): string | undefined {
    return this.#byName.has(functionName) ? this.#targets.get(functionName)?.job : undefined;
  }

  get(name: string): RegisteredFunction | undefined {
    return this.#byName.get(name);
  }

  list(): RegisteredFunction[] {
    return [...this.#byName.values()];
  }

  /** Reserved concurrency of all functions together (what the unreserved pool does not get). */
  reservedTotal(): number {
    let total = 0;
    for (const fn of this.#byName.values()) total += fn.spec.reservedConcurrency ?? 0;
    return total;
  }

  /** Swaps in freshly built code and recycles the function's environments. */
  replacePackage(name: string, pkg: FunctionPackage): void {
    const fn = this.#byName.get(name)!;
    fn.package = pkg;
    fn.pool.recycle(this.#binding(fn.spec, fn.arn, pkg));
  }

  async provisionAll(): Promise<void> {
    await Promise.all(this.list().map((fn) => fn.pool.provision()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.list().map((fn) => fn.pool.close()));
  }

  #binding(spec: FunctionSpec, arn: string, pkg: FunctionPackage): PoolBinding {
    const config = this.#config;
    const registry = this;
    return {
      tmpRoot: join(config.stateDir, 'tmp'),
      provisionedConcurrency: spec.provisionedConcurrency,
      maxEnvironments: config.maxEnvironmentsPerFunction,
      scaleOut: config.scaleOut,
      hostCall: (call) => registry.hostCall?.(call),
      tableReads: () => registry.tableReads,
      init: {
        functionName: spec.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: arn,
        memoryMB: spec.memoryMB,
        logGroupName: `/aws/lambda/${spec.name}`,
        moduleUrl: pkg.moduleUrl,
        exportName: pkg.exportName,
        jobBundle: pkg.jobBundle,
        ephemeralStorageMB: spec.ephemeralStorageMB,
        maxResponseBytes: config.payloadLimits.syncResponseBytes,
        // Lambda's reserved variables, then the function's own: nothing of the host leaks in.
        env: {
          PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
          LANG: 'en_US.UTF-8',
          // Lambda's; the time zone Date uses is the host process's (threads share it): UTC under the CLI.
          TZ: ':UTC',
          NODE_ENV: process.env.NODE_ENV ?? 'development',
          AWS_REGION: config.region,
          AWS_DEFAULT_REGION: config.region,
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
          AWS_LAMBDA_FUNCTION_NAME: spec.name,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMB),
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
          LAMBDA_TASK_ROOT: config.rootDir,
          // Where jobs keep durable state of their own (the reference app's store).
          NEOLITH_STATE_DIR: config.stateDir,
          get NEOLITH_HOST_URL() { return registry.hostUrl; }, // read when an environment binds, after listen
          // As Lambda sets it (tracing wrappers read it to find the handler): `path/module.export` from LAMBDA_TASK_ROOT.
          _HANDLER: spec.lambdaHandler ?? `jobs:${Object.keys(spec.jobs).join(',')}`,
          ...spec.environment,
        },
      },
    };
  }
}
