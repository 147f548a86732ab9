/**
 * Lambda's event source mapping parameters for stream sources, their ranges
 * and defaults (CreateEventSourceMapping, Kinesis and DynamoDB Streams), checked
 * in one place for config and for the API.
 */
import { previewValue } from '../errors/index.js';
import { filterPatternProblem } from './filter-pattern.js';

/** Parameters in Lambda's API names. */
export interface MappingParams {
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  StartingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  StartingPositionTimestamp?: number;
  ParallelizationFactor: number;
  BisectBatchOnFunctionError: boolean;
  MaximumRetryAttempts: number;
  MaximumRecordAgeInSeconds: number;
  FunctionResponseTypes: Array<'ReportBatchItemFailures'>;
  /** A destination ARN or `topic:`/`bucket:` shorthand. */
  OnFailure?: string;
  Enabled: boolean;
  /** Lambda's event filtering: only records matching one of the patterns (JSON text) invoke the function. */
  FilterCriteria?: { Filters: Array<{ Pattern: string }> };
}

/** Lambda's quota of filters per event source mapping. */
export const MAX_FILTERS = 5;

/** Lambda's longest filter pattern, in characters (the API's `Filter.Pattern` length constraint). */
export const MAX_FILTER_PATTERN_LENGTH = 4096;

/** Lambda's defaults. */
export const DEFAULT_MAPPING_PARAMS = {
  BatchSize: 100,
  MaximumBatchingWindowInSeconds: 0,
  ParallelizationFactor: 1,
  BisectBatchOnFunctionError: false,
  MaximumRetryAttempts: -1,
  MaximumRecordAgeInSeconds: -1,
  FunctionResponseTypes: [] as Array<'ReportBatchItemFailures'>,
  Enabled: true,
} as const;

const POSITIONS = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'];

/**
 * Checks the parameters that are present against Lambda's ranges and returns
 * one message per broken rule. `name` renders a parameter's path
 * (`BatchSize` for the API, `eventSourceMappings[0].batchSize` for config).
 */
export function checkMappingParams(
  p: Partial<Record<keyof MappingParams, unknown>>, name: (key: keyof MappingParams) => string, kind: 'kinesis' | 'dynamodb', now: number = Date.now(),
): string[] {
  const problems: string[] = [];
  const int = (key: keyof MappingParams, min: number, max: number, extra = '') => {
    const v = p[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${name(key)} must be an integer from ${min} to ${max}${extra} (got ${previewValue(v)})`);
    }
  };
  const bool = (key: keyof MappingParams) => {
    if (p[key] !== undefined && typeof p[key] !== 'boolean') problems.push(`${name(key)} must be true or false (got ${previewValue(p[key])})`);
  };
  int('BatchSize', 1, 10_000);
  int('MaximumBatchingWindowInSeconds', 0, 300);
  int('ParallelizationFactor', 1, 10);
  int('MaximumRetryAttempts', -1, 10_000);
  const age = p.MaximumRecordAgeInSeconds;
  if (age !== undefined && !(age === -1 || (typeof age === 'number' && Number.isInteger(age) && age >= 60 && age <= 604_800))) {
    problems.push(`${name('MaximumRecordAgeInSeconds')} must be -1 or an integer from 60 to 604800 (got ${previewValue(age)})`);
  }
  bool('BisectBatchOnFunctionError');
  bool('Enabled');
  if (p.StartingPosition !== undefined && !POSITIONS.includes(p.StartingPosition as string)) {
    problems.push(`${name('StartingPosition')} must be TRIM_HORIZON, LATEST or AT_TIMESTAMP (got ${previewValue(p.StartingPosition)})`);
  }
  if (p.StartingPosition === 'AT_TIMESTAMP') {
    if (kind === 'dynamodb') problems.push(`${name('StartingPosition')} AT_TIMESTAMP is supported for Kinesis streams only, as in Lambda (got a DynamoDB stream)`);
    if (typeof p.StartingPositionTimestamp !== 'number' || !(p.StartingPositionTimestamp >= 0)) {
      problems.push(`${name('StartingPositionTimestamp')} must be epoch seconds when StartingPosition is AT_TIMESTAMP (got ${previewValue(p.StartingPositionTimestamp)})`);
    }
  }
  const ts = p.StartingPositionTimestamp;
  // Lambda: "StartingPositionTimestamp cannot be in the future". Checked whenever given, so no absurd value
  // (1e300, which would reach the store as 1e303 ms) is kept and described back, whatever the position.
  if (typeof ts === 'number' && ts >= 0) {
    if (!(ts <= now / 1000)) problems.push(`${name('StartingPositionTimestamp')} must be epoch seconds no later than now (${Math.floor(now / 1000)}): it cannot be in the future (got ${ts})`);
  } else if (ts !== undefined && p.StartingPosition !== 'AT_TIMESTAMP') {
    problems.push(`${name('StartingPositionTimestamp')} must be epoch seconds, from 0 to now (got ${previewValue(ts)})`);
  }
  const types = p.FunctionResponseTypes;
  if (types !== undefined && (!Array.isArray(types) || types.some((t) => t !== 'ReportBatchItemFailures'))) {
    problems.push(`${name('FunctionResponseTypes')} must be [] or ["ReportBatchItemFailures"] (got ${previewValue(types)})`);
  }
  if (p.FilterCriteria !== undefined) {
    // Length first: a pattern over the limit is refused for that, without parsing it.
    const long = longPatterns(p.FilterCriteria);
    for (const { index, length } of long) {
      problems.push(`${name('FilterCriteria')}.Filters[${index}].Pattern must be at most ${MAX_FILTER_PATTERN_LENGTH} characters, Lambda's limit (got ${length})`);
    }
    if (long.length === 0 && !validFilterCriteria(p.FilterCriteria)) {
      problems.push(`${name('FilterCriteria')} must be { Filters: [{ Pattern: "<a JSON object>" }] } with 0 to ${MAX_FILTERS} filters (got ${previewValue(p.FilterCriteria)})`);
    } else if (long.length === 0) {
      (p.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters.forEach((f, i) => {
        const problem = filterPatternProblem(JSON.parse(f.Pattern));
        if (problem) problems.push(`${name('FilterCriteria')}.Filters[${i}].Pattern is not a valid filter pattern: ${problem}`);
      });
    }
  }
  if (p.OnFailure !== undefined && (typeof p.OnFailure !== 'string' || p.OnFailure.length === 0)) {
    problems.push(`${name('OnFailure')} must be a destination ARN, "topic:<name>", "bucket:<name>" or a function name (got ${previewValue(p.OnFailure)})`);
  }
  return problems;
}

/** The filters whose Pattern text is longer than Lambda takes. */
function longPatterns(value: unknown): Array<{ index: number; length: number }> {
  const filters = (value as { Filters?: unknown } | null)?.Filters;
  if (!Array.isArray(filters)) return [];
  return filters.flatMap((f: unknown, index) => {
    const pattern = (f as { Pattern?: unknown } | null)?.Pattern;
    return typeof pattern === 'string' && pattern.length > MAX_FILTER_PATTERN_LENGTH ? [{ index, length: pattern.length }] : [];
  });
}

function validFilterCriteria(value: unknown): boolean {
  const filters = (value as { Filters?: unknown } | null)?.Filters;
  if (typeof value !== 'object' || value === null || !Array.isArray(filters) || filters.length > MAX_FILTERS) return false;
  return filters.every((f: unknown) => {
    const pattern = (f as { Pattern?: unknown } | null)?.Pattern;
    if (typeof pattern !== 'string') return false;
    try {
      const parsed: unknown = JSON.parse(pattern);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    } catch {
      return false;
    }
  });
}

/**
 * The config's `filterCriteria: { filters: [{ pattern }] }` (a pattern as an
 * object or JSON text) in Lambda's API shape; anything else is passed on as
 * it is for the range check to name.
 */
export function filterCriteriaFromConfig(value: unknown): unknown {
  const filters = (value as { filters?: unknown } | null)?.filters;
  if (!Array.isArray(filters)) return value;
  return {
    Filters: filters.map((f: unknown) => {
      const pattern = (f as { pattern?: unknown } | null)?.pattern;
      return { Pattern: typeof pattern === 'object' && pattern !== null ? JSON.stringify(pattern) : pattern };
    }),
  };
}
