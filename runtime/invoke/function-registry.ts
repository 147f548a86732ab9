import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FunctionSpec, ResolvedConfig } from '../config/index.js';
import { nanoFunctionName, FUNCTION_NAME_PATTERN } from '../config/index.js';
import { FunctionPool, type FunctionPackage, type HostCallHandler, type PoolBinding, type SpareEnvironments } from '../environment/index.js';
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

const ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([^:]+)(?::(.+))?$/;
const ajv = new Ajv({ allErrors: true, strict: false });

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
      this.#targets.set(spec.name, { fn });
    }
    for (const [job, fnName] of Object.entries(config.jobToFunction)) {
      const target = { fn: this.#byName.get(fnName)!, job };
      this.#targets.set(job, target);
      if (!this.#byName.has(nanoFunctionName(job))) this.#targets.set(nanoFunctionName(job), target);
    }
  }

  /** Resolves a name, ARN or job address; throws Lambda's errors for unknown or malformed names. */
  resolve(name: string): Target {
    const direct = this.#targets.get(name);
    if (direct) return direct;
    let bare = name;
    let qualifier: string | undefined;
    const arn = ARN.exec(name);
    if (arn) [, bare = '', qualifier] = arn;
    else if (name.includes(':')) [bare = '', qualifier] = name.split(':', 2) as [string, string];
    if (!FUNCTION_NAME_PATTERN.test(bare) && !/^[\w-]+\/[\w-]+$/.test(bare)) {
      throw new InvalidParameterValueError(`1 validation error detected: Value '${name.slice(0, 200)}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`);
    }
    const target = this.#targets.get(bare);
    if (!target || (qualifier !== undefined && qualifier !== '$LATEST')) {
      const fnArn = `arn:aws:lambda:${this.#config.region}:${this.#config.accountId}:function:${bare}${qualifier ? `:${qualifier}` : ''}`;
      throw new ResourceNotFoundError(`Function not found: ${fnArn}`);
    }
    return target;
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
      hostCall: (call) => registry.hostCall?.(call),
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
          _HANDLER: spec.kind === 'handler' ? `${spec.modulePath}#${spec.exportName}` : `jobs:${Object.keys(spec.jobs).join(',')}`,
          ...spec.environment,
        },
      },
    };
  }
}
