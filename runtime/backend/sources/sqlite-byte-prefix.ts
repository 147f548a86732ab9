/**
 * SQL that holds when `column` starts with the text bound twice after it, compared as bytes:
 * on TEXT, SQLite's length() and substr() stop at a NUL, and a prefix holding one matched nothing.
 */
export function startsWithBytes(column: string): string {
  return `substr(CAST(${column} AS BLOB), 1, length(CAST(? AS BLOB))) = CAST(? AS BLOB)`;
}
