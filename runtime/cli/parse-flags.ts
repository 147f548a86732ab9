import { UsageError } from './usage-error.js';

/** Runs node:util's parseArgs, turning its errors into UsageError. */
export function parseFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * A whole number in decimal digits from `min` to `max`: `Number()` alone would take "", " 8", "0x10"
 * and "1e3", which no one means as a count or a port.
 */
export function integerFlag(flag: string, value: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(value.slice(0, 64))})`);
  return n;
}

/**
 * A decimal number (`2`, `0.5`) in plain digits for the same reason: from 0, or above 0 when
 * `positive`, and at most `max` when given.
 */
export function decimalFlag(flag: string, value: string, range: { max?: number; positive?: boolean } = {}): number {
  const n = /^\d{1,16}(\.\d{1,16})?$/.test(value) ? Number(value) : NaN;
  const { max, positive = false } = range;
  if (!((positive ? n > 0 : n >= 0) && n <= (max ?? Infinity))) {
    const rule = max === undefined
      ? (positive ? 'a number more than 0' : 'a non-negative number')
      : (positive ? `a number more than 0 and at most ${max}` : `a number from 0 to ${max}`);
    throw new UsageError(`${flag} must be ${rule} (got ${JSON.stringify(value.slice(0, 64))})`);
  }
  return n;
}

/** A port number flag, or undefined when absent. */
export function portFlag(value: string | undefined): number | undefined {
  return value === undefined ? undefined : integerFlag('--port', value, 0, 65535);
}

/** A --layout flag, or undefined when absent. */
export function layoutFlag(value: string | undefined): 'nano' | 'micro' | 'mono' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'nano' && value !== 'micro' && value !== 'mono') throw new UsageError(`--layout must be nano, micro or mono (got ${JSON.stringify(value)})`);
  return value;
}

/** A --backend flag, or undefined when absent. */
export function backendFlag(value: string | undefined): 'sqlite' | 'redis' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'sqlite' && value !== 'redis') throw new UsageError(`--backend must be sqlite or redis (got ${JSON.stringify(value)})`);
  return value;
}
