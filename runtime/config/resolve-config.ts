import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors/index.js';
import { applyLayout, nanoFunctionName } from './apply-layout.js';
import type { FunctionSettings, LayoutMap, LayoutName } from './config-types.js';
import { discoverJobs } from './discover-jobs.js';
import { lambdaHandlerName, locateHandler } from './handler-location.js';
import { ProblemList } from './problem-list.js';
import { resolveHttpOptions } from './resolve-http.js';
import {
  DEFAULT_ASYNC_POLICY,
  DEFAULT_FUNCTION_SETTINGS,
  DEFAULT_HOST_OPTIONS,
  type FunctionSpec,
  type ResolvedAsyncPolicy,
  type ResolvedConfig,
} from './resolved-config.js';
import { FUNCTION_NAME_PATTERN, validateConfig } from './validate-config.js';
import { resolveSources } from './validate-sources.js';

/** Command-line overrides of config fields (`neolith serve --layout …`). */
export interface ConfigOverrides {
  layout?: LayoutName;
  port?: number;
  host?: string;
  stateDir?: string;
  backend?: 'sqlite' | 'redis';
  redisUrl?: string;
  redisPrefix?: string;
}

/** Room for everything of a one-record Kinesis event but its data: ids, ARNs, a 256-character partition key escaped. */
const KINESIS_EVENT_ENVELOPE_BYTES = 4096;

/**
 * Validates a config object, discovers jobs, applies the layout and checks
 * that every handler file exists. Throws one `ConfigError` listing every
 * problem. Relative paths are resolved against `rootDir`.
 */
export function resolveConfig(raw: unknown, rootDir: string, overrides: ConfigOverrides = {}): ResolvedConfig {
  const { config, problems } = validateConfig(raw);
  if (problems.length > 0) throw new ConfigError(problems);
  const p = new ProblemList();
  const functions: FunctionSpec[] = [];
  const jobToFunction: Record<string, string> = {};

  for (const [name, fn] of Object.entries(config.functions ?? {})) {
    const located = locateHandler(fn.handler, rootDir);
    const { modulePath, exportName } = located ?? { modulePath: resolve(rootDir, fn.handler.split('#')[0]!), exportName: 'handler' };
    if (!located) {
      p.add(`functions.${name}.handler`, 'point at an existing module file ("path/module.mjs#export", or Lambda\'s "path/module.export")', fn.handler);
    } else if (!/\.(mjs|cjs|js|ts|mts|cts)$/.test(modulePath)) {
      p.add(`functions.${name}.handler`, 'name a .mjs, .cjs, .js or .ts module', fn.handler);
    }
    const lambdaHandler = lambdaHandlerName({ modulePath, exportName }, rootDir);
    functions.push({ ...mergeSettings(name, [fn], p), name, kind: 'handler', modulePath, exportName, lambdaHandler, jobs: {} });
  }

  let layout: ResolvedConfig['layout'] = 'none';
  const jobs = config.jobs === false ? undefined : config.jobs;
  const jobsDir = resolve(rootDir, jobs?.dir ?? 'resolvers');
  const wantsJobs = jobs !== undefined || overrides.layout !== undefined;
  if (wantsJobs && !existsSync(jobsDir)) {
    p.add('jobs.dir', 'be an existing folder of <domain>/<job> modules', jobs?.dir ?? 'resolvers');
  } else if (wantsJobs) {
    const found = discoverJobs(jobsDir);
    const layoutChoice: LayoutName | LayoutMap = overrides.layout ?? jobs?.layout ?? 'micro';
    layout = typeof layoutChoice === 'string' ? layoutChoice : 'custom';
    for (const job of Object.keys(jobs?.settings ?? {})) {
      if (found[job] === undefined) p.add(`jobs.settings.${job}`, 'name an existing job', job);
    }
    const groups = applyLayout(Object.keys(found), layoutChoice, p);
    for (const [name, jobNames] of Object.entries(groups)) {
      // A job's folder and file make the name: Lambda's API, ARNs and the SDK take no other kind.
      if (!FUNCTION_NAME_PATTERN.test(name)) {
        const rename = layout === 'micro' ? 'rename the folder' : 'rename the folder or file';
        p.add('jobs.layout', `build function names of 1–64 letters, digits, "-" or "_": ${rename} of ${jobNames.slice(0, 3).map((j) => JSON.stringify(j)).join(', ')}`, name);
        // Still known as jobs: what names them (routes, subscriptions) is not reported as naming nothing.
        for (const job of jobNames) jobToFunction[job] = name;
        continue;
      }
      if (config.functions && Object.hasOwn(config.functions, name)) {
        p.add(`functions.${name}`, `not reuse the name of a function the ${layout} layout builds from jobs`, name);
        continue;
      }
      const settings = [jobs?.defaults ?? {}, ...jobNames.map((job) => jobs?.settings?.[job] ?? {})];
      const spec: FunctionSpec = {
        ...mergeSettings(name, settings, p),
        name,
        kind: 'jobs',
        exportName: 'handler',
        jobs: Object.fromEntries(jobNames.map((job) => [job, found[job]!])),
      };
      const schemas = Object.fromEntries(
        jobNames.flatMap((job) => (jobs?.settings?.[job]?.inputSchema ? [[job, jobs.settings[job]!.inputSchema!]] : [])),
      );
      if (Object.keys(schemas).length > 0) spec.jobSchemas = schemas;
      functions.push(spec);
      for (const job of jobNames) jobToFunction[job] = name;
    }
    // The nano name of a job addresses it in every layout (see Host.resolveTarget).
    for (const job of Object.keys(jobToFunction)) {
      const alias = nanoFunctionName(job);
      if (config.functions && Object.hasOwn(config.functions, alias)) p.add(`functions.${alias}`, `not reuse the address of job "${job}"`, alias);
    }
  }

  const http = resolveHttpOptions(config, rootDir, functions.map((f) => f.name), jobToFunction, p);
  const fnNames = new Set([...functions.map((f) => f.name), ...Object.keys(jobToFunction), ...Object.keys(jobToFunction).map(nanoFunctionName)]);
  const sources = resolveSources(config, (name) => fnNames.has(name), p);
  // A mapping invokes with records base64-encoded in Kinesis' event: a record too large for a one-record
  // event could never be delivered, and would hold its shard back for as long as it is kept.
  const syncLimit = config.payloadLimits?.syncRequestBytes ?? DEFAULT_HOST_OPTIONS.payloadLimits.syncRequestBytes;
  const largestRecord = Math.max(0, Math.floor((syncLimit - KINESIS_EVENT_ENVELOPE_BYTES) / 4) * 3);
  for (const [name, stream] of Object.entries(sources.streams)) {
    if (stream.maxRecordBytes > largestRecord) {
      p.add(`streams.${name}.maxRecordBytes`, `be at most ${largestRecord}, so that one record, base64 in its event, fits payloadLimits.syncRequestBytes (${syncLimit})`, stream.maxRecordBytes);
    }
  }
  // Lambda keeps reserved concurrency out of the shared pool: together it cannot exceed the host's limit.
  const reservedTotal = functions.reduce((sum, f) => sum + (f.reservedConcurrency ?? 0), 0);
  const hostLimit = config.concurrencyLimit ?? DEFAULT_HOST_OPTIONS.concurrencyLimit;
  if (reservedTotal > hostLimit) {
    p.add('concurrencyLimit', `be at least the functions' reservedConcurrency together (${reservedTotal})`, hostLimit);
  }
  if (p.problems.length > 0) throw new ConfigError(p.problems);
  const d = DEFAULT_HOST_OPTIONS;
  return {
    rootDir,
    functions,
    jobToFunction,
    layout,
    concurrencyLimit: config.concurrencyLimit ?? d.concurrencyLimit,
    idleTimeoutMs: config.idleTimeoutMs ?? d.idleTimeoutMs,
    spareEnvironments: config.spareEnvironments ?? d.spareEnvironments,
    maxEnvironmentsPerFunction: config.maxEnvironmentsPerFunction ?? Number.POSITIVE_INFINITY,
    scaleOut: config.scaleOut ?? d.scaleOut,
    port: overrides.port ?? config.port ?? d.port,
    host: overrides.host ?? config.host ?? d.host,
    stateDir: resolve(rootDir, overrides.stateDir ?? config.stateDir ?? d.stateDir),
    backend: overrides.backend ?? config.backend ?? d.backend,
    redisUrl: overrides.redisUrl ?? config.redisUrl ?? d.redisUrl,
    redisPrefix: overrides.redisPrefix ?? config.redisPrefix ?? d.redisPrefix,
    recordRetentionSeconds: config.recordRetentionSeconds ?? d.recordRetentionSeconds,
    deadLetterRetentionSeconds: config.deadLetterRetentionSeconds ?? d.deadLetterRetentionSeconds,
    asyncLeaseMs: config.asyncLeaseMs ?? d.asyncLeaseMs,
    ...(config.graphql && { graphql: config.graphql }),
    payloadLimits: { ...d.payloadLimits, ...config.payloadLimits },
    region: config.region ?? d.region,
    accountId: config.accountId ?? d.accountId,
    http,
    sources,
  };
}

type MergedSettings = Omit<FunctionSpec, 'name' | 'kind' | 'modulePath' | 'exportName' | 'jobs'>;

/**
 * Settings of a function built from several layers (defaults, then each job).
 * A function holding several jobs needs the most any of them needs: the
 * largest memory, timeout and storage; reserved concurrency adds up.
 */
function mergeSettings(name: string, layers: FunctionSettings[], p: ProblemList): MergedSettings {
  const [base, ...jobs] = layers as [FunctionSettings, ...FunctionSettings[]];
  const pick = (key: 'memoryMB' | 'timeoutMs' | 'ephemeralStorageMB' | 'provisionedConcurrency') =>
    Math.max(base[key] ?? DEFAULT_FUNCTION_SETTINGS[key], ...jobs.map((j) => j[key] ?? 0));
  const reservedByJobs = jobs.map((j) => j.reservedConcurrency).filter((r): r is number => r !== undefined);
  const reservedConcurrency =
    reservedByJobs.length > 0 ? reservedByJobs.reduce((a, b) => a + b, 0) : base.reservedConcurrency;
  const environment: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.environment ?? {})) {
      if (environment[key] !== undefined && environment[key] !== value) {
        p.add(`functions.${name}.environment.${key}`, 'have one value across the jobs it holds', value);
      }
      environment[key] = value;
    }
  }
  const async: ResolvedAsyncPolicy = { ...DEFAULT_ASYNC_POLICY };
  for (const layer of layers) Object.assign(async, layer.async);
  const merged: MergedSettings = {
    memoryMB: pick('memoryMB'),
    timeoutMs: pick('timeoutMs'),
    ephemeralStorageMB: pick('ephemeralStorageMB'),
    provisionedConcurrency: pick('provisionedConcurrency'),
    environment,
    async,
  };
  if (reservedConcurrency !== undefined) merged.reservedConcurrency = reservedConcurrency;
  if (layers.some((layer) => layer.async !== undefined)) merged.asyncConfigured = true;
  // Checked again after merging: defaults and jobs can each pass alone and clash together (Lambda refuses it too).
  if (reservedConcurrency !== undefined && merged.provisionedConcurrency > reservedConcurrency) {
    p.add(`functions.${name}.provisionedConcurrency`, `be at most its reservedConcurrency (${reservedConcurrency})`, merged.provisionedConcurrency);
  }
  if (base.inputSchema) merged.inputSchema = base.inputSchema;
  return { ...merged, environment: { ...environment } };
}
