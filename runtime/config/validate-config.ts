import { Ajv } from 'ajv';
import type { NeolithConfig } from './config-types.js';
import { isPlainObject, ProblemList } from './problem-list.js';
import { HTTP_TOP_LEVEL_KEYS, validateHttp } from './validate-http.js';
import { SOURCES_TOP_LEVEL_KEYS, validateSources } from './validate-sources.js';

const TOP_LEVEL_KEYS = [
  'functions', 'jobs', 'concurrencyLimit', 'idleTimeoutMs', 'spareEnvironments', 'maxEnvironmentsPerFunction', 'scaleOut', 'port', 'host',
  'stateDir', 'backend', 'redisUrl', 'redisPrefix', 'recordRetentionSeconds', 'deadLetterRetentionSeconds', 'asyncLeaseMs', 'payloadLimits', 'region', 'accountId', 'graphql',
] as const;
const SETTINGS_KEYS = [
  'memoryMB', 'timeoutMs', 'reservedConcurrency', 'provisionedConcurrency', 'environment',
  'ephemeralStorageMB', 'inputSchema', 'async',
] as const;
const ASYNC_KEYS = ['maxRetries', 'maxEventAgeSeconds', 'retryDelaysMs', 'onSuccess', 'onFailure'] as const;
const JOBS_KEYS = ['dir', 'layout', 'defaults', 'settings'] as const;
const LIMIT_KEYS = ['syncRequestBytes', 'syncResponseBytes', 'asyncEventBytes'] as const;
const GRAPHQL_KEYS = [
  'schemaDir', 'maxDepth', 'maxAliases', 'maxTokens', 'maxCost', 'maxDirectives', 'maxRequestBytes', 'maxFunctionCalls', 'maskErrors',
  'auth', 'invocationVisibility',
] as const;
/** Each GraphQL abuse limit with its allowed range. */
const GRAPHQL_LIMITS = {
  maxDepth: [1, 1000], maxAliases: [0, 1000], maxTokens: [1, 1_000_000], maxCost: [1, 1_000_000_000],
  maxDirectives: [0, 1000], maxRequestBytes: [1, 256 * 1024 * 1024], maxFunctionCalls: [1, 10_000_000],
} as const;

/** Lambda's function name rule (the unqualified form). */
export const FUNCTION_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const ENV_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]*$/;
/** Lambda reserves these; a function may not set them. */
const RESERVED_ENV = new Set([
  '_HANDLER', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'TMPDIR',
]);

const schemaCompiler = new Ajv({ allErrors: true, strict: false });

/**
 * Checks the shape of a config object and returns every problem found, each
 * stating the path, the rule and the value. Files and jobs are checked later,
 * when paths are resolved (`resolveConfig`).
 */
export function validateConfig(raw: unknown): { config: NeolithConfig; problems: string[] } {
  const p = new ProblemList();
  if (!isPlainObject(raw)) {
    p.add('config', 'be an object (export default defineConfig({...}))', raw);
    return { config: {}, problems: p.problems };
  }
  p.knownKeys('', raw, [...TOP_LEVEL_KEYS, ...HTTP_TOP_LEVEL_KEYS, ...SOURCES_TOP_LEVEL_KEYS]);

  if (raw.functions !== undefined && p.object('functions', raw.functions)) {
    for (const [name, fn] of Object.entries(raw.functions)) {
      const path = `functions.${name}`;
      if (!FUNCTION_NAME_PATTERN.test(name)) {
        p.add(path, 'have a name of 1–64 letters, digits, "-" or "_"', name);
      }
      if (!p.object(path, fn)) continue;
      p.knownKeys(path, fn, ['handler', ...SETTINGS_KEYS]);
      p.string(`${path}.handler`, fn.handler, /^[^#]+(#[A-Za-z_$][\w$.]*)?$/, 'be "path/to/module#exportName" or Lambda\'s "path/to/module.exportName"');
      validateSettings(p, path, fn);
    }
  }

  if (raw.jobs !== undefined && raw.jobs !== false && p.object('jobs', raw.jobs)) {
    const jobs = raw.jobs;
    p.knownKeys('jobs', jobs, JOBS_KEYS);
    if (jobs.dir !== undefined) p.string('jobs.dir', jobs.dir);
    if (jobs.layout !== undefined) validateLayout(p, jobs.layout);
    if (jobs.defaults !== undefined && p.object('jobs.defaults', jobs.defaults)) {
      p.knownKeys('jobs.defaults', jobs.defaults, SETTINGS_KEYS);
      validateSettings(p, 'jobs.defaults', jobs.defaults);
    }
    if (jobs.settings !== undefined && p.object('jobs.settings', jobs.settings)) {
      for (const [job, settings] of Object.entries(jobs.settings)) {
        const path = `jobs.settings.${job}`;
        if (!p.object(path, settings)) continue;
        p.knownKeys(path, settings, SETTINGS_KEYS);
        validateSettings(p, path, settings);
      }
    }
  }

  if (raw.concurrencyLimit !== undefined) p.integer('concurrencyLimit', raw.concurrencyLimit, 1, 100_000);
  if (raw.idleTimeoutMs !== undefined) p.integer('idleTimeoutMs', raw.idleTimeoutMs, 1);
  if (raw.spareEnvironments !== undefined) p.integer('spareEnvironments', raw.spareEnvironments, 0, 64);
  if (raw.maxEnvironmentsPerFunction !== undefined) p.integer('maxEnvironmentsPerFunction', raw.maxEnvironmentsPerFunction, 1, 1000);
  if (raw.scaleOut !== undefined && raw.scaleOut !== 'warm-first' && raw.scaleOut !== 'lambda') {
    p.add('scaleOut', 'be "warm-first" or "lambda"', raw.scaleOut);
  }
  if (raw.port !== undefined) p.integer('port', raw.port, 0, 65535);
  if (raw.host !== undefined) p.string('host', raw.host);
  if (raw.stateDir !== undefined) p.string('stateDir', raw.stateDir);
  if (raw.backend !== undefined && raw.backend !== 'sqlite' && raw.backend !== 'redis') {
    p.add('backend', 'be "sqlite" or "redis"', raw.backend);
  }
  if (raw.redisUrl !== undefined) p.string('redisUrl', raw.redisUrl, /^rediss?:\/\//, 'be a redis:// or rediss:// URL');
  if (raw.redisPrefix !== undefined) p.string('redisPrefix', raw.redisPrefix, /^[\w.-]{1,64}$/, 'be 1–64 letters, digits, ".", "-" or "_"');
  if (raw.asyncLeaseMs !== undefined) p.integer('asyncLeaseMs', raw.asyncLeaseMs, 300, 3_600_000);
  if (raw.recordRetentionSeconds !== undefined) p.integer('recordRetentionSeconds', raw.recordRetentionSeconds, 60, 31_536_000);
  if (raw.deadLetterRetentionSeconds !== undefined) p.integer('deadLetterRetentionSeconds', raw.deadLetterRetentionSeconds, 60, 31_536_000);
  if (raw.region !== undefined) p.string('region', raw.region, /^[a-z]{2}(-[a-z]+)+-\d$/, 'be an AWS region like "us-east-1"');
  if (raw.accountId !== undefined) p.string('accountId', raw.accountId, /^\d{12}$/, 'be 12 digits');
  if (raw.payloadLimits !== undefined && p.object('payloadLimits', raw.payloadLimits)) {
    p.knownKeys('payloadLimits', raw.payloadLimits, LIMIT_KEYS);
    for (const key of LIMIT_KEYS) {
      const value = raw.payloadLimits[key];
      if (value !== undefined) p.integer(`payloadLimits.${key}`, value, 1, 256 * 1024 * 1024);
    }
  }
  if (raw.graphql !== undefined) validateGraphql(p, raw.graphql, hasPrincipals(raw.auth));
  validateHttp(p, raw);
  validateSources(p, raw);
  return { config: raw as NeolithConfig, problems: p.problems };
}

/** Whether the config names SigV4 principals (`auth.principals`), who can sign GraphQL requests too. */
function hasPrincipals(auth: unknown): boolean {
  const principals = (auth as { principals?: unknown } | undefined)?.principals;
  return typeof principals === 'object' && principals !== null && Object.keys(principals).length > 0;
}

function validateGraphql(p: ProblemList, g: unknown, signedCallers: boolean): void {
  if (!p.object('graphql', g)) return;
  p.knownKeys('graphql', g, GRAPHQL_KEYS);
  if (g.schemaDir !== undefined) p.string('graphql.schemaDir', g.schemaDir);
  for (const [key, [min, max]] of Object.entries(GRAPHQL_LIMITS)) {
    if (g[key] !== undefined) p.integer(`graphql.${key}`, g[key], min, max);
  }
  if (g.maskErrors !== undefined && typeof g.maskErrors !== 'boolean') p.add('graphql.maskErrors', 'be true or false', g.maskErrors);
  if (g.invocationVisibility !== undefined && g.invocationVisibility !== 'owner' && g.invocationVisibility !== 'all') {
    p.add('graphql.invocationVisibility', 'be "owner" or "all"', g.invocationVisibility);
  }
  if (g.auth === undefined || !p.object('graphql.auth', g.auth)) return;
  const auth = g.auth;
  p.knownKeys('graphql.auth', auth, ['jwt', 'anonymous']);
  if (auth.anonymous !== undefined && typeof auth.anonymous !== 'boolean') p.add('graphql.auth.anonymous', 'be true or false', auth.anonymous);
  if (auth.anonymous === false && auth.jwt === undefined && !signedCallers) {
    p.add('graphql.auth.anonymous', 'stay true unless graphql.auth.jwt or auth.principals is set (nobody could call the gateway)', auth.anonymous);
  }
  if (auth.jwt === undefined || !p.object('graphql.auth.jwt', auth.jwt)) return;
  const jwt = auth.jwt;
  p.knownKeys('graphql.auth.jwt', jwt, ['secret', 'jwksFile', 'issuer', 'audience']);
  if ((jwt.secret === undefined) === (jwt.jwksFile === undefined)) {
    p.add('graphql.auth.jwt', 'set exactly one of secret (HS256) or jwksFile', Object.keys(jwt));
  }
  if (jwt.secret !== undefined) p.string('graphql.auth.jwt.secret', jwt.secret);
  if (jwt.jwksFile !== undefined) p.string('graphql.auth.jwt.jwksFile', jwt.jwksFile);
  if (jwt.issuer !== undefined) p.string('graphql.auth.jwt.issuer', jwt.issuer);
  if (jwt.audience !== undefined) {
    const list = Array.isArray(jwt.audience) ? jwt.audience : [jwt.audience];
    if (list.length === 0 || list.some((a) => typeof a !== 'string' || a.length === 0)) {
      p.add('graphql.auth.jwt.audience', 'be a non-empty string or array of non-empty strings', jwt.audience);
    }
  }
}

function validateSettings(p: ProblemList, path: string, s: Record<string, unknown>): void {
  if (s.memoryMB !== undefined) p.integer(`${path}.memoryMB`, s.memoryMB, 128, 10240);
  if (s.timeoutMs !== undefined) p.integer(`${path}.timeoutMs`, s.timeoutMs, 1, 900_000);
  if (s.reservedConcurrency !== undefined) p.integer(`${path}.reservedConcurrency`, s.reservedConcurrency, 0);
  if (s.provisionedConcurrency !== undefined) {
    const ok = p.integer(`${path}.provisionedConcurrency`, s.provisionedConcurrency, 0, 1000);
    if (ok && typeof s.reservedConcurrency === 'number' && (s.provisionedConcurrency as number) > s.reservedConcurrency) {
      p.add(`${path}.provisionedConcurrency`, `not exceed reservedConcurrency (${s.reservedConcurrency})`, s.provisionedConcurrency);
    }
  }
  if (s.ephemeralStorageMB !== undefined) p.integer(`${path}.ephemeralStorageMB`, s.ephemeralStorageMB, 512, 10240);
  if (s.environment !== undefined && p.object(`${path}.environment`, s.environment)) {
    for (const [key, value] of Object.entries(s.environment)) {
      if (!ENV_NAME_PATTERN.test(key)) p.add(`${path}.environment`, 'have keys of letters, digits and "_", starting with a letter', key);
      else if (RESERVED_ENV.has(key)) p.add(`${path}.environment.${key}`, 'not be set: Lambda reserves it', key);
      if (typeof value !== 'string') p.add(`${path}.environment.${key}`, 'be a string', value);
    }
  }
  if (s.inputSchema !== undefined && p.object(`${path}.inputSchema`, s.inputSchema)) {
    try {
      schemaCompiler.compile(s.inputSchema);
    } catch (error) {
      p.add(`${path}.inputSchema`, `be a valid JSON Schema: ${(error as Error).message}`, s.inputSchema);
    }
  }
  if (s.async !== undefined && p.object(`${path}.async`, s.async)) {
    const a = s.async;
    p.knownKeys(`${path}.async`, a, ASYNC_KEYS);
    if (a.maxRetries !== undefined) p.integer(`${path}.async.maxRetries`, a.maxRetries, 0, 2);
    if (a.maxEventAgeSeconds !== undefined) p.integer(`${path}.async.maxEventAgeSeconds`, a.maxEventAgeSeconds, 60, 21600);
    if (a.retryDelaysMs !== undefined) {
      const delays = a.retryDelaysMs;
      if (!Array.isArray(delays) || delays.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 3_600_000)) {
        p.add(`${path}.async.retryDelaysMs`, 'be an array of integers from 0 to 3600000', delays);
      }
    }
    if (a.onSuccess !== undefined) p.string(`${path}.async.onSuccess`, a.onSuccess);
    if (a.onFailure !== undefined) p.string(`${path}.async.onFailure`, a.onFailure);
  }
}

function validateLayout(p: ProblemList, layout: unknown): void {
  if (typeof layout === 'string') {
    if (layout !== 'nano' && layout !== 'micro' && layout !== 'mono') p.add('jobs.layout', 'be "nano", "micro", "mono" or a map of function → job patterns', layout);
    return;
  }
  if (!p.object('jobs.layout', layout)) return;
  for (const [name, patterns] of Object.entries(layout)) {
    if (!FUNCTION_NAME_PATTERN.test(name)) p.add(`jobs.layout.${name}`, 'have a name of 1–64 letters, digits, "-" or "_"', name);
    if (!Array.isArray(patterns) || patterns.length === 0 || patterns.some((x) => typeof x !== 'string' || x.length === 0)) {
      p.add(`jobs.layout.${name}`, 'be a non-empty array of job patterns ("users/getUser" or "users/*")', patterns);
    }
  }
}
