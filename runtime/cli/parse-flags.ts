import { UsageError } from './usage-error.js';

/** Runs node:util's parseArgs, turning its errors into UsageError. */
export function parseFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A port number flag, or undefined when absent. */
export function portFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got ${JSON.stringify(value)})`);
  return port;
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
