/**
 * JSON text Redis's Lua can decode. JSON.stringify writes a lone surrogate
 * (from a log line, an error message) as a `\ud800` escape, which cjson
 * refuses ("invalid unicode escape code"): a record holding one could not be
 * patched again, and its event would run again for a write that failed. Such
 * strings are written with U+FFFD in its place — what UTF-8 storage makes of
 * them anyway.
 */
export function cjsonSafeJson(value: unknown): string {
  const text = JSON.stringify(value);
  // JSON.stringify escapes only lone surrogates so (a pair is written as it is). A backslash before
  // "ud8.." in the text matches too; re-writing such a value changes nothing in it.
  if (!SURROGATE_ESCAPE.test(text)) return text;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? (v as WellFormable).toWellFormed() : v));
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** ES2024's String.prototype.toWellFormed (Node 20 has it; the ES2023 lib does not type it). */
type WellFormable = string & { toWellFormed(): string };
