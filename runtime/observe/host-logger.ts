import pino from 'pino';

/** The host's own structured log (pino): what the host does, never what functions print. */
export type HostLogger = pino.Logger;

/** Options of {@link createHostLogger}. */
export interface HostLoggerOptions {
  /**
   * Least severe level written: fatal, error, warn, info, debug, trace or silent.
   * @defaultValue the `NEOLITH_LOG_LEVEL` environment variable, else "info"
   */
  level?: string;
  /** Where the JSON lines go. @defaultValue stderr (stdout is the CLI's) */
  destination?: pino.DestinationStream;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Builds the host logger: one JSON object per line on stderr, `name:
 * "neolith"`. Function output never goes here — it is kept per invocation in
 * the InvocationLog (`neolith logs`, `GET /logs`).
 */
export function createHostLogger(options: HostLoggerOptions = {}): HostLogger {
  const fromEnv = options.level === undefined && process.env.NEOLITH_LOG_LEVEL !== undefined;
  const level = options.level ?? process.env.NEOLITH_LOG_LEVEL ?? 'info';
  if (!LEVELS.includes(level)) {
    throw new RangeError(`${fromEnv ? 'NEOLITH_LOG_LEVEL' : 'logger.level'} must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(level)})`);
  }
  // Synchronous writes: the host logs little (start, stop, failures), and a crash must not lose the last line.
  return pino({ name: 'neolith', level }, options.destination ?? pino.destination({ dest: 2, sync: true }));
}
