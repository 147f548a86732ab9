/**
 * Collects config mistakes as `path must <rule> (got <value>)` lines, so one
 * start reports every mistake, not just the first.
 */
export class ProblemList {
  readonly problems: string[] = [];

  add(path: string, rule: string, value: unknown): void {
    this.problems.push(`${path} must ${rule} (got ${describe(value)})`);
  }

  /** Records a problem unless `value` is an integer in [min, max]; true when valid. */
  integer(path: string, value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): boolean {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return true;
    const rule =
      max === Number.MAX_SAFE_INTEGER
        ? min === 1
          ? 'be a positive integer'
          : min === 0
            ? 'be a non-negative integer'
            : `be an integer ≥ ${min}`
        : `be an integer from ${min} to ${max}`;
    this.add(path, rule, value);
    return false;
  }

  string(path: string, value: unknown, pattern?: RegExp, rule?: string): value is string {
    if (typeof value === 'string' && value.length > 0 && (!pattern || pattern.test(value))) return true;
    this.add(path, rule ?? 'be a non-empty string', value);
    return false;
  }

  object(path: string, value: unknown): value is Record<string, unknown> {
    if (isPlainObject(value)) return true;
    this.add(path, 'be an object', value);
    return false;
  }

  /** Flags keys of `value` that are not in `known`. */
  knownKeys(path: string, value: Record<string, unknown>, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        this.problems.push(`${path ? `${path}.` : ''}${key} is not a known option (known: ${known.join(', ')})`);
      }
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value); // JSON would say null
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
