import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors/index.js';
import type { PriceTable } from './price-table.js';

/** One GraphQL operation of a workload. */
export interface WorkloadOperation {
  /** Shown in reports. */
  name: string;
  /** Relative share of requests. @defaultValue 1 */
  weight?: number;
  /** The GraphQL document. */
  query: string;
  /** Variables; an array means one of them per request, picked by the workload's seeded random sequence. */
  variables?: Record<string, unknown> | Array<Record<string, unknown>>;
  operationName?: string;
}

/** When requests arrive (open loop: each is sent at its time, whether or not earlier ones answered). */
export type ArrivalPattern =
  /** `rate` requests per second throughout. */
  | { pattern: 'constant'; rate: number }
  /** `rate` per second for `burstMs`, then nothing for `idleMs`, repeated: idle gaps longer than the idle timeout reproduce scale-to-zero. */
  | { pattern: 'bursts'; rate: number; burstMs: number; idleMs: number }
  /** From `from` to `to` requests per second, linearly over the duration. */
  | { pattern: 'ramp'; from: number; to: number };

/** Settings applied to the host of one layout (or of every layout). */
export interface LayoutOverrides {
  /** Warm environments idle longer are recycled, ms. */
  idleTimeoutMs?: number;
  /** Host-wide concurrency limit. */
  concurrencyLimit?: number;
  /** Generic pre-booted environments per memory size. */
  spareEnvironments?: number;
  /** Most environments per function; past it calls wait for a free one (unset: no cap). */
  maxEnvironmentsPerFunction?: number;
  /** How a function's environments grow when all are busy (the host's `scaleOut`). */
  scaleOut?: 'warm-first' | 'lambda';
}

/** A workload file (`bench/workloads/*.json`). */
export interface Workload {
  /** Shown in reports. @defaultValue the file name */
  name?: string;
  /** What it shows, in a sentence. */
  description?: string;
  /** The config to run, relative to the workload file. @defaultValue the neolith.config.* of the current folder */
  config?: string;
  operations: WorkloadOperation[];
  arrival: ArrivalPattern;
  /** How long requests are sent, ms. */
  durationMs: number;
  /** Applied to every layout's host. */
  host?: LayoutOverrides;
  /** Per layout, over `host`. */
  layouts?: Partial<Record<'nano' | 'micro' | 'mono', LayoutOverrides>>;
  /** Seed of the operation and variables sequence (the same for every layout). @defaultValue 1 */
  seed?: number;
  /** Overrides of the Lambda price table. */
  prices?: Partial<PriceTable>;
}

/** A workload read from a file, with where it came from. */
export interface LoadedWorkload extends Workload {
  name: string;
  /** Absolute path of the file, when read from one. */
  file?: string;
}

/** Reads and validates a workload JSON file; relative paths in it are resolved against its folder. */
export function loadWorkload(file: string): LoadedWorkload {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`workload ${file} must be a readable JSON file (${(error as Error).message})`], { cause: error });
  }
  const workload = validateWorkload(raw);
  return {
    ...workload,
    name: workload.name ?? path.replace(/^.*\//, '').replace(/\.json$/, ''),
    file: path,
    ...(workload.config !== undefined && { config: resolve(dirname(path), workload.config) }),
  };
}

/** Checks a workload, reporting every problem at once with its path and value. */
export function validateWorkload(raw: unknown): Workload {
  const problems: string[] = [];
  const got = (value: unknown) => `(got ${JSON.stringify(value)?.slice(0, 80)})`;
  const positive = (path: string, value: unknown, allowZero = false) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      problems.push(`${path} must be a ${allowZero ? 'non-negative' : 'positive'} number ${got(value)}`);
    }
  };
  const integer = (path: string, value: unknown, min: number, max: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${path} must be an integer from ${min} to ${max} ${got(value)}`);
    }
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError([`a workload must be a JSON object ${got(raw)}`]);
  const w = raw as Record<string, unknown>;
  if (!Array.isArray(w.operations) || w.operations.length === 0) {
    problems.push(`operations must be a non-empty array ${got(w.operations)}`);
  } else {
    w.operations.forEach((op: unknown, i) => {
      const o = (op ?? {}) as Record<string, unknown>;
      if (typeof o.name !== 'string' || o.name === '') problems.push(`operations[${i}].name must be a non-empty string ${got(o.name)}`);
      if (typeof o.query !== 'string' || o.query.trim() === '') problems.push(`operations[${i}].query must be a GraphQL document ${got(o.query)}`);
      if (o.weight !== undefined) positive(`operations[${i}].weight`, o.weight);
      const vars = o.variables;
      const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
      if (vars !== undefined && !isObject(vars) && !(Array.isArray(vars) && vars.length > 0 && vars.every(isObject))) {
        problems.push(`operations[${i}].variables must be an object or a non-empty array of objects ${got(vars)}`);
      }
    });
  }
  const a = (w.arrival ?? {}) as Record<string, unknown>;
  if (a.pattern === 'constant') positive('arrival.rate', a.rate);
  else if (a.pattern === 'bursts') {
    positive('arrival.rate', a.rate);
    positive('arrival.burstMs', a.burstMs);
    positive('arrival.idleMs', a.idleMs, true);
  } else if (a.pattern === 'ramp') {
    positive('arrival.from', a.from, true);
    positive('arrival.to', a.to, true);
    if (a.from === 0 && a.to === 0) problems.push('arrival.from and arrival.to must not both be 0');
  } else problems.push(`arrival.pattern must be constant, bursts or ramp ${got(a.pattern)}`);
  positive('durationMs', w.durationMs);
  const overrides = (path: string, value: unknown) => {
    if (value === undefined) return;
    if (typeof value !== 'object' || value === null) return problems.push(`${path} must be an object ${got(value)}`);
    for (const [key, v] of Object.entries(value)) {
      // The host config's own ranges, checked here so a bad override fails before any layout runs.
      if (key === 'idleTimeoutMs') positive(`${path}.${key}`, v);
      else if (key === 'concurrencyLimit') integer(`${path}.${key}`, v, 1, 100_000);
      else if (key === 'maxEnvironmentsPerFunction') integer(`${path}.${key}`, v, 1, 1000);
      else if (key === 'spareEnvironments') integer(`${path}.${key}`, v, 0, 64);
      else if (key === 'scaleOut') {
        if (v !== 'warm-first' && v !== 'lambda') problems.push(`${path}.${key} must be "warm-first" or "lambda" ${got(v)}`);
      } else problems.push(`${path}.${key} is not a host setting a workload may override (idleTimeoutMs, concurrencyLimit, spareEnvironments, maxEnvironmentsPerFunction, scaleOut)`);
    }
  };
  overrides('host', w.host);
  if (w.layouts !== undefined && (typeof w.layouts !== 'object' || w.layouts === null || Array.isArray(w.layouts))) {
    problems.push(`layouts must be an object ${got(w.layouts)}`);
  } else if (w.layouts !== undefined) {
    for (const [layout, value] of Object.entries(w.layouts as object)) {
      if (!['nano', 'micro', 'mono'].includes(layout)) problems.push(`layouts.${layout} must be nano, micro or mono`);
      else overrides(`layouts.${layout}`, value);
    }
  }
  if (w.seed !== undefined && !Number.isInteger(w.seed)) problems.push(`seed must be an integer ${got(w.seed)}`);
  if (w.config !== undefined && typeof w.config !== 'string') problems.push(`config must be a file path ${got(w.config)}`);
  for (const key of ['name', 'description'] as const) {
    if (w[key] !== undefined && typeof w[key] !== 'string') problems.push(`${key} must be a string ${got(w[key])}`);
  }
  if (w.prices !== undefined) {
    if (typeof w.prices !== 'object' || w.prices === null || Array.isArray(w.prices)) problems.push(`prices must be an object ${got(w.prices)}`);
    else {
      const prices = w.prices as Record<string, unknown>;
      for (const [key, v] of Object.entries(prices)) {
        if (key === 'requestsPerMillion' || key === 'gbSecond') positive(`prices.${key}`, v, true);
        else if (key === 'granularityMs') positive(`prices.${key}`, v);
        else if (key === 'billInit') {
          if (typeof v !== 'boolean') problems.push(`prices.billInit must be true or false ${got(v)}`);
        } else if (key === 'source') {
          if (typeof v !== 'string') problems.push(`prices.source must be a string ${got(v)}`);
        } else problems.push(`prices.${key} is not a price (requestsPerMillion, gbSecond, billInit, granularityMs, source)`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `workload: ${problem}`));
  return w as unknown as Workload;
}
