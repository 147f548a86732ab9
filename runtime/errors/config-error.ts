import { NeolithError } from './neolith-error.js';

/**
 * The configuration has one or more mistakes; `problems` lists each one as
 * `path must <rule> (got <value>)`, and the message joins them.
 */
export class ConfigError extends NeolithError {
  override readonly name = 'ConfigError';
  readonly code = 'ConfigError';

  constructor(
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      problems.length === 1
        ? `Invalid neolith config: ${problems[0]}`
        : `Invalid neolith config (${problems.length} problems):\n  - ${problems.join('\n  - ')}`,
      options,
    );
  }
}
