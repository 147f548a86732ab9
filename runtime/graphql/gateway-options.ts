import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GraphqlOptions } from '../config/index.js';
import { ConfigError } from '../errors/index.js';

/** The gateway's options with every default filled in and paths absolute. */
export interface ResolvedGraphqlOptions {
  /** Absolute folder of the SDL files. */
  schemaDir: string;
  /** Whether `schemaDir` was set explicitly (a missing explicit folder is an error; a missing default one turns GraphQL off). */
  schemaDirExplicit: boolean;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  maxDirectives: number;
  maxRequestBytes: number;
  maxFunctionCalls: number;
  maskErrors: boolean;
  auth: {
    anonymous: boolean;
    jwt?: { secret?: string; jwks?: { keys: Array<Record<string, unknown>> }; issuer?: string; audience?: string | string[] };
  };
  invocationVisibility: 'owner' | 'all';
}

/** Defaults of every gateway option (see `GraphqlOptions` for each). */
export const DEFAULT_GRAPHQL_OPTIONS = {
  schemaDir: 'schema',
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 1000,
  maxCost: 5000,
  maxDirectives: 50,
  maxRequestBytes: 1024 * 1024,
  maxFunctionCalls: 10_000,
  maskErrors: true,
  anonymous: true,
  invocationVisibility: 'owner' as const,
};

/**
 * Fills in defaults and reads the JWKS file. Shape rules were checked by
 * `validateConfig`; this checks what needs the file system.
 */
export function resolveGraphqlOptions(options: GraphqlOptions | undefined, rootDir: string): ResolvedGraphqlOptions {
  const o = options ?? {};
  const d = DEFAULT_GRAPHQL_OPTIONS;
  const resolved: ResolvedGraphqlOptions = {
    schemaDir: resolve(rootDir, o.schemaDir ?? d.schemaDir),
    schemaDirExplicit: o.schemaDir !== undefined,
    maxDepth: o.maxDepth ?? d.maxDepth,
    maxAliases: o.maxAliases ?? d.maxAliases,
    maxTokens: o.maxTokens ?? d.maxTokens,
    maxCost: o.maxCost ?? d.maxCost,
    maxDirectives: o.maxDirectives ?? d.maxDirectives,
    maxRequestBytes: o.maxRequestBytes ?? d.maxRequestBytes,
    maxFunctionCalls: o.maxFunctionCalls ?? d.maxFunctionCalls,
    maskErrors: o.maskErrors ?? d.maskErrors,
    auth: { anonymous: o.auth?.anonymous ?? d.anonymous },
    invocationVisibility: o.invocationVisibility ?? d.invocationVisibility,
  };
  const jwt = o.auth?.jwt;
  if (jwt) {
    resolved.auth.jwt = {
      ...(jwt.secret !== undefined && { secret: jwt.secret }),
      ...(jwt.issuer !== undefined && { issuer: jwt.issuer }),
      ...(jwt.audience !== undefined && { audience: jwt.audience }),
    };
    if (jwt.jwksFile !== undefined) resolved.auth.jwt.jwks = readJwks(resolve(rootDir, jwt.jwksFile), jwt.jwksFile);
  }
  if (resolved.schemaDirExplicit && !(existsSync(resolved.schemaDir) && statSync(resolved.schemaDir).isDirectory())) {
    throw new ConfigError([`graphql.schemaDir must be an existing folder of *.graphql files (got ${JSON.stringify(o.schemaDir)})`]);
  }
  return resolved;
}

function readJwks(path: string, given: string): { keys: Array<Record<string, unknown>> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`graphql.auth.jwt.jwksFile must be a readable JSON file (got ${JSON.stringify(given)}: ${(error as Error).message})`], { cause: error });
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError([`graphql.auth.jwt.jwksFile must hold a JWKS ({ "keys": [...] }) with at least one key (got ${JSON.stringify(given)})`]);
  }
  return { keys: keys as Array<Record<string, unknown>> };
}
