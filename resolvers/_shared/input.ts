/**
 * The reference app's input rules, checked by each job before it touches a
 * table: ids, list limits, text sizes. A broken rule is a `ValidationError`
 * naming the argument, the rule and the value — in a batch, for that item only.
 */
import { AppError } from './appsync.js';

export const LIMITS = {
  /** Ids the app makes are short (`u1`, a request id); a table key may be 2048 bytes, an id argument far less. */
  idBytes: 256,
  /** Every list argument: `limit` from 1 to this. */
  listMax: 100,
  nameChars: 100,
  titleChars: 200,
  /** Post bodies and comments. */
  textChars: 10_000,
  emailChars: 254,
  orderItems: 100,
  quantity: 1000,
  skuChars: 64,
  /** placeOrder's pretend payment (its function's timeout is 10 s). */
  delayMs: 5000,
  failAttempts: 10,
  /** The `avatars` bucket's `maxObjectBytes` (neolith.config.ts reads it from here): an upload, and the thumbnail made of it. */
  avatarBytes: 2 * 1024 * 1024,
} as const;

const invalid = (message: string) => new AppError('ValidationError', message);

/** A value in an error message: JSON, cut short. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** An id: a non-empty string of at most `LIMITS.idBytes` bytes. */
export function checkId(value: unknown, path = 'id'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${path} must be a non-empty string (got ${show(value)})`);
  const bytes = Buffer.byteLength(value);
  if (bytes > LIMITS.idBytes) throw invalid(`${path} must be at most ${LIMITS.idBytes} bytes (got ${bytes})`);
  return value;
}

// Tab, newline and carriage return are text; other control characters are not (and cost 6 bytes each as JSON).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// Half a surrogate pair is no character: JSON writes it as a 6-byte escape, and it is not valid UTF-8.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Control characters (other than tab, newline, return) and lone surrogates: a `ValidationError` at `path`. */
function checkCharacters(value: string, path: string): void {
  if (CONTROL.test(value)) throw invalid(`${path} must not contain control characters`);
  if (LONE_SURROGATE.test(value)) throw invalid(`${path} must not contain lone surrogates (half of a UTF-16 pair)`);
}

/** A text field: a string of at most `maxChars` characters, not blank unless `allowEmpty`. */
export function checkText(value: unknown, path: string, maxChars: number, options: { allowEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw invalid(`${path} must be a string (got ${show(value)})`);
  if (!options.allowEmpty && value.trim().length === 0) throw invalid(`${path} must not be empty`);
  const chars = value.length > maxChars ? [...value].length : value.length;
  if (chars > maxChars) throw invalid(`${path} must be at most ${maxChars} characters (got ${chars})`);
  checkCharacters(value, path);
  return value;
}

/** An email, trimmed and lower-cased: emails are compared without regard to case. */
export function checkEmail(value: unknown): string {
  const email = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof email === 'string' && email.length > LIMITS.emailChars) throw invalid(`email must be at most ${LIMITS.emailChars} characters (got ${email.length})`);
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) throw invalid(`email must look like name@domain (got ${show(value)})`);
  checkCharacters(email, 'email');
  return email;
}

/** An integer argument from `min` to `max`; `fallback` when absent. */
export function checkInt(value: unknown, path: string, min: number, max: number, fallback?: number): number {
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${path} must be an integer from ${min} to ${max} (got ${show(value)})`);
  }
  return value;
}

/** A list's `limit`: 1 to `LIMITS.listMax`, `fallback` when absent. */
export const checkLimit = (value: unknown, fallback: number): number => checkInt(value, 'limit', 1, LIMITS.listMax, fallback);

/** A list's `offset`: 0 or more, 0 when absent. */
export const checkOffset = (value: unknown): number => checkInt(value, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
