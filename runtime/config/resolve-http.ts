import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { nanoFunctionName } from './apply-layout.js';
import type { NeolithConfig } from './config-types.js';
import {
  DEFAULT_CORS_OPTIONS, DEFAULT_HTTP_OPTIONS, type ResolvedAuth, type ResolvedHttpOptions, type ResolvedRoute, type SecretValue,
} from './http-options.js';
import type { ProblemList } from './problem-list.js';
import { parseRouteKey } from './route-key.js';

/**
 * Resolves routes, CORS and auth once functions and jobs are known: every
 * route target and permission key must name a function or job, secrets
 * given as `{ env }` must be set, the JWKS file must be readable.
 */
export function resolveHttpOptions(
  config: NeolithConfig, rootDir: string, functionNames: readonly string[], jobToFunction: Record<string, string>,
  p: ProblemList, env: NodeJS.ProcessEnv = process.env,
): ResolvedHttpOptions {
  const known = new Set([...functionNames, ...Object.keys(jobToFunction), ...Object.keys(jobToFunction).map(nanoFunctionName)]);
  const routes: ResolvedRoute[] = [];
  for (const [key, value] of Object.entries(config.routes ?? {})) {
    const parsed = parseRouteKey(key);
    if (typeof parsed === 'string') continue;
    const options = typeof value === 'string' ? { function: value } : value;
    const path = `routes["${key}"]${typeof value === 'string' ? '' : '.function'}`;
    if (!known.has(options.function)) p.add(path, 'name an existing function or job', options.function);
    routes.push({
      key, method: parsed.method, path: parsed.path, target: options.function,
      invocation: options.invocation ?? 'RequestResponse', auth: options.auth ?? 'none',
    });
  }
  const resolved: ResolvedHttpOptions = {
    routes, routePrefix: config.routePrefix ?? DEFAULT_HTTP_OPTIONS.routePrefix, allowedHosts: (config.allowedHosts ?? []).map((h) => h.toLowerCase()),
    requestTimeoutMs: config.requestTimeoutMs ?? DEFAULT_HTTP_OPTIONS.requestTimeoutMs,
  };
  if (config.cors) resolved.cors = { ...DEFAULT_CORS_OPTIONS, ...(config.cors === true ? {} : config.cors) };
  if (config.cors && resolved.cors) {
    resolved.cors.allowMethods = resolved.cors.allowMethods.map((m) => m.toUpperCase());
    resolved.cors.allowHeaders = resolved.cors.allowHeaders.map((h) => h.toLowerCase());
  }
  if (config.auth) resolved.auth = resolveAuth(config, rootDir, known, p, env);
  for (const route of routes) {
    if (route.auth === 'iam' && !resolved.auth) p.add(`routes["${route.key}"].auth`, 'be "iam" only when the auth section defines principals', route.auth);
    if (route.auth === 'jwt' && !resolved.auth?.jwt) p.add(`routes["${route.key}"].auth`, 'be "jwt" only when auth.jwt is set', route.auth);
  }
  return resolved;
}

function resolveAuth(config: NeolithConfig, rootDir: string, known: Set<string>, p: ProblemList, env: NodeJS.ProcessEnv): ResolvedAuth {
  const auth = config.auth!;
  const accountId = config.accountId ?? '000000000000';
  const principals: ResolvedAuth['principals'] = [];
  const keyOwners = new Map<string, string>();
  for (const [name, principal] of Object.entries(auth.principals ?? {})) {
    const path = `auth.principals.${name}`;
    const accessKeyId = readSecret(principal.accessKeyId, `${path}.accessKeyId`, p, env);
    const secretAccessKey = readSecret(principal.secretAccessKey, `${path}.secretAccessKey`, p, env);
    if (accessKeyId === undefined || secretAccessKey === undefined) continue;
    const owner = keyOwners.get(accessKeyId);
    if (owner !== undefined) p.add(`${path}.accessKeyId`, `differ from the key of auth.principals.${owner}`, accessKeyId);
    keyOwners.set(accessKeyId, name);
    principals.push({ name, accessKeyId, secretAccessKey, accountId: principal.account ?? accountId });
  }
  for (const target of Object.keys(auth.permissions ?? {})) {
    if (target !== '*' && !known.has(target)) p.add(`auth.permissions["${target}"]`, 'be keyed by an existing function or job', target);
  }
  const resolved: ResolvedAuth = {
    principals,
    permissions: auth.permissions ?? {},
    anonymous: auth.anonymous ?? DEFAULT_HTTP_OPTIONS.anonymous,
    clockSkewSeconds: auth.clockSkewSeconds ?? DEFAULT_HTTP_OPTIONS.clockSkewSeconds,
  };
  const jwt = auth.jwt;
  if (jwt) {
    resolved.jwt = {
      ...(jwt.issuer !== undefined && { issuer: jwt.issuer }),
      ...(jwt.audience !== undefined && { audience: jwt.audience }),
    };
    if (jwt.secret !== undefined) {
      const value = readSecret(jwt.secret, 'auth.jwt.secret', p, env);
      if (value !== undefined) resolved.jwt.secret = value;
    }
    if (jwt.jwksFile !== undefined) {
      try {
        const parsed = JSON.parse(readFileSync(resolve(rootDir, jwt.jwksFile), 'utf8')) as { keys?: unknown };
        if (!Array.isArray(parsed.keys)) throw new Error('no "keys" array');
        resolved.jwt.jwks = parsed as { keys: Array<Record<string, unknown>> };
      } catch (error) {
        p.add('auth.jwt.jwksFile', `be a readable JWKS JSON file (${(error as Error).message})`, jwt.jwksFile);
      }
    }
  }
  return resolved;
}

function readSecret(value: SecretValue, path: string, p: ProblemList, env: NodeJS.ProcessEnv): string | undefined {
  if (typeof value === 'string') return value;
  const found = env[value.env];
  if (found === undefined || found === '') {
    p.add(`${path}.env`, 'name an environment variable that is set', value.env);
    return undefined;
  }
  return found;
}
