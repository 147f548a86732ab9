import { previewValue } from '../errors/index.js';

/**
 * What is wrong with a Lambda event filter pattern, or undefined when it is
 * one: Lambda refuses a malformed pattern ("Invalid filter pattern"), and
 * taken as it is, a pattern no record can match (a value not in an array, a
 * misspelt operator) would checkpoint past every record without a word.
 *
 * The grammar matched by `matchesPolicy`: an object whose keys map to a
 * nested pattern or to a non-empty array of conditions, with `$or` holding
 * patterns of which one must match. A condition is a string, number, boolean
 * or null, or one operator: `prefix`, `suffix`, `equals-ignore-case` (text),
 * `anything-but` (values, or `{ prefix }`), `numeric` (one or two comparisons
 * with numbers), `exists` (true or false).
 */
export function filterPatternProblem(pattern: unknown, path = ''): string | undefined {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) return `${path || 'the pattern'} must be an object (got ${previewValue(pattern)})`;
  for (const [key, rule] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length < 2) return `${at} must be an array of two or more patterns (got ${previewValue(rule)})`;
      for (const [i, sub] of rule.entries()) {
        const problem = filterPatternProblem(sub, `${at}[${i}]`);
        if (problem) return problem;
      }
      continue;
    }
    if (Array.isArray(rule)) {
      if (rule.length === 0) return `${at} must list at least one value or condition (got [])`;
      for (const condition of rule) {
        const problem = conditionProblem(condition);
        if (problem) return `${at}: ${problem}`;
      }
      continue;
    }
    if (typeof rule === 'object' && rule !== null) {
      const problem = filterPatternProblem(rule, at);
      if (problem) return problem;
      continue;
    }
    return `${at} must be an array of values or conditions, or a nested pattern (got ${previewValue(rule)}; a value is matched as [${previewValue(rule)}])`;
  }
  return undefined;
}

const COMPARISONS = new Set(['=', '<', '<=', '>', '>=']);

function conditionProblem(condition: unknown): string | undefined {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) return undefined;
  if (typeof condition !== 'object' || Array.isArray(condition)) return `a condition must be a value or an operator object (got ${previewValue(condition)})`;
  const keys = Object.keys(condition);
  if (keys.length !== 1) return `an operator object holds exactly one operator (got ${previewValue(condition)})`;
  const operator = keys[0]!;
  const operand = (condition as Record<string, unknown>)[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      return typeof operand === 'string' ? undefined : `${operator} takes text (got ${previewValue(operand)})`;
    case 'exists':
      return typeof operand === 'boolean' ? undefined : `exists takes true or false (got ${previewValue(operand)})`;
    case 'anything-but': {
      const isValue = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if (isValue(operand) || (Array.isArray(operand) && operand.length > 0 && operand.every(isValue))) return undefined;
      const prefix = (operand as { prefix?: unknown } | null)?.prefix;
      if (typeof operand === 'object' && operand !== null && Object.keys(operand).length === 1 && typeof prefix === 'string') return undefined;
      return `anything-but takes a value, a non-empty array of values or { prefix } (got ${previewValue(operand)})`;
    }
    case 'numeric': {
      const ok = Array.isArray(operand) && (operand.length === 2 || operand.length === 4)
        && operand.every((v, i) => (i % 2 === 0 ? COMPARISONS.has(v as string) : typeof v === 'number' && Number.isFinite(v)));
      return ok ? undefined : `numeric takes one or two comparisons, as [">", 0, "<=", 5] (got ${previewValue(operand)})`;
    }
    default:
      return `${JSON.stringify(operator.slice(0, 64))} is not an operator this host knows (prefix, suffix, equals-ignore-case, anything-but, numeric, exists)`;
  }
}
