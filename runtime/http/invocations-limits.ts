/**
 * Bounds of the invocations API's query parameters, shared with the CLI that
 * checks its flags against them before it calls a host.
 */

/** Longest `?wait=` a caller may hold a request open for, like SQS long polling. */
export const MAX_WAIT_SECONDS = 20;

/** How `?wait=` is written: plain decimal digits (Number() would take "", " ", "0x1" and "1e1"). */
export const WAIT_SECONDS_PATTERN = /^\d{1,6}(\.\d{1,6})?$/;

/** Most records or dead letters one `?limit=` may ask for. */
export const MAX_LIST_LIMIT = 1000;

/** Records or dead letters listed when `?limit=` is not given. */
export const DEFAULT_LIST_LIMIT = 100;
