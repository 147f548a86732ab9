/**
 * Base of every error the host raises on purpose. `name` is stable and is what
 * callers branch on (with `instanceof` or `code`), never the message text.
 */
export abstract class NeolithError extends Error {
  /** Lambda's error type where one exists, else a neolith code. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** The JSON body Lambda's API sends for this error. */
  toJSON(): { Type: string; Message: string; message: string } {
    return { Type: 'User', Message: this.message, message: this.message };
  }
}
