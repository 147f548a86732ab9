import type { DeadLetter, InvocationRecord, InvocationStatus } from '../backend/index.js';
import { FUNCTION_NAME_PATTERN } from '../config/index.js';
import { AccessDeniedError, InvalidParameterValueError, ResourceNotFoundError } from '../errors/index.js';
import type { InvocationRecords } from '../invoke/index.js';
import type { HttpRoute, RequestContext } from './http-route.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, MAX_WAIT_SECONDS, WAIT_SECONDS_PATTERN } from './invocations-limits.js';
import { sendJson } from './send.js';
import { visiblePage } from './visible-page.js';

const STATUSES = new Set(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED']);

/** What the invocations API takes besides the records. */
export interface InvocationsApiOptions {
  /**
   * Turns what a caller names in `?function=` (a function, an ARN, a job)
   * into the function whose records hold it, throwing Lambda's errors for a
   * malformed or unknown name — as `GET /logs` does.
   * @defaultValue the name as given, which must then be a function name (1–64 letters, digits, "-" or "_")
   */
  resolveFunction?: (name: string) => string;
  /**
   * Most stored bytes of records or dead letters one `GET /invocations` or
   * `GET /dead-letters` reads (the first entry is always read); entries past
   * it are left out of the page and the answer says `truncated`.
   * @defaultValue 16 MB
   */
  maxListBytes?: number;
}

const DEFAULT_MAX_LIST_BYTES = 16 * 1024 * 1024;

/**
 * Async invocation records and dead letters over HTTP:
 * `GET /invocations/{id}[?wait=S]`, `GET /invocations?function=&status=&limit=`,
 * `GET /dead-letters`, `GET /dead-letters/{id}`, `POST /dead-letters/{id}/redrive`,
 * `DELETE /dead-letters/{id}`.
 */
export function invocationsApi(records: InvocationRecords, options: InvocationsApiOptions = {}): HttpRoute {
  const functionOf = (ctx: RequestContext) => functionParam(ctx, options.resolveFunction);
  const maxListBytes = options.maxListBytes ?? DEFAULT_MAX_LIST_BYTES;
  return async (ctx) => {
    const { pathname } = ctx.url;
    const method = ctx.req.method;
    let match: RegExpExecArray | null;
    if (pathname === '/invocations' && method === 'GET') {
      const query = listQuery(ctx, visibleFunction(ctx, functionOf(ctx)));
      const visible = ctx.canRead && ((r: InvocationRecord) => canRead(ctx, r.functionName, r.job));
      sendJson(ctx.res, 200, await budgetedPage(ctx, 'invocations', 'records', query.limit, visible, async (limit) => {
        const page = await records.listWithin({ ...query, limit }, maxListBytes);
        return { entries: page.records, leftOut: page.leftOut };
      }, maxListBytes));
      return true;
    }
    if ((match = /^\/invocations\/([\w-]{1,128})$/.exec(pathname)) && method === 'GET') {
      sendJson(ctx.res, 200, await recordOf(ctx, records, match[1]!));
      return true;
    }
    if (pathname === '/dead-letters' && method === 'GET') {
      const fn = visibleFunction(ctx, functionOf(ctx));
      const visible = ctx.canRead && ((l: DeadLetter) => canRead(ctx, l.event.functionName, l.event.job));
      sendJson(ctx.res, 200, await budgetedPage(ctx, 'deadLetters', 'letters', limitOf(ctx), visible, async (limit) => {
        const page = await records.deadLetters.listWithin({ limit, ...(fn && { functionName: fn }) }, maxListBytes);
        return { entries: page.letters, leftOut: page.leftOut };
      }, maxListBytes));
      return true;
    }
    if ((match = /^\/dead-letters\/([\w-]{1,128})(\/redrive)?$/.exec(pathname))) {
      const id = match[1]!;
      const letterOf = async (toAct = false) => {
        const letter = await records.deadLetters.get(id);
        // Another function's letter answers as a missing one: its existence is not the caller's to learn.
        if (!letter || !canRead(ctx, letter.event.functionName, letter.event.job)) throw new ResourceNotFoundError(`Dead letter not found: ${id}`);
        // Redriving runs the function again and deleting drops its event: a read grant does neither.
        if (toAct && ctx.canInvoke && !ctx.canInvoke(letter.event.functionName, letter.event.job)) {
          throw new AccessDeniedError(`the caller may read but not redrive or delete dead letters of function ${letter.event.functionName} (auth.permissions grant it no invoke)`);
        }
        return letter;
      };
      if (match[2] && method === 'POST') {
        if (ctx.canRead) await letterOf(true);
        sendJson(ctx.res, 202, await records.deadLetters.redrive(id));
        return true;
      }
      if (!match[2] && method === 'GET') {
        sendJson(ctx.res, 200, await letterOf());
        return true;
      }
      if (!match[2] && method === 'DELETE') {
        if (ctx.canRead) await letterOf(true);
        if (!(await records.deadLetters.delete(id))) throw new ResourceNotFoundError(`Dead letter not found: ${id}`);
        ctx.res.writeHead(204).end();
        return true;
      }
    }
    return false;
  };
}

/**
 * A list page read within its size budget (see `visiblePage` for `visible`).
 * It says `truncated` only when the caller's page came short of its limit:
 * a full page lost nothing asked for.
 */
async function budgetedPage<T>(
  ctx: RequestContext, key: string, what: string, limit: number, visible: ((entry: T) => boolean) | undefined,
  read: (limit: number) => Promise<{ entries: T[]; leftOut: string[] }>, maxBytes: number,
): Promise<Record<string, unknown>> {
  let leftOut: string[] = [];
  const entries = await visiblePage(async (asked) => {
    const page = await read(asked);
    leftOut = page.leftOut;
    return page.entries;
  }, limit, visible);
  if (leftOut.length === 0 || entries.length >= limit) return { [key]: entries };
  const cut = `${what} past ${maxBytes} bytes were left out of this page`;
  // The ids are named only to a caller who may read every entry: others' could be ones it may not see.
  return ctx.canRead
    ? { [key]: entries, truncated: true, message: `${cut}: narrow it with a filter` }
    : { [key]: entries, truncated: true, leftOut, message: `${cut}: read each by id (leftOut), or narrow it with a filter` };
}

function canRead(ctx: RequestContext, functionName: string, job?: string): boolean {
  return ctx.canRead?.(functionName, job) ?? true;
}

/** A `function` filter the caller may not read is refused, as invoking it would be. */
function visibleFunction(ctx: RequestContext, functionName: string | undefined): string | undefined {
  if (functionName !== undefined && !canRead(ctx, functionName)) {
    throw new AccessDeniedError(`the caller may not read the records of function ${functionName} (auth.permissions)`);
  }
  return functionName;
}

async function recordOf(ctx: RequestContext, records: InvocationRecords, id: string) {
  const wait = ctx.url.searchParams.get('wait');
  const visible = async () => {
    const record = await records.get(id);
    // Another function's record answers as a missing one.
    if (!record || !canRead(ctx, record.functionName, record.job)) throw new ResourceNotFoundError(`Invocation not found: ${id}`);
    return record;
  };
  if (wait === null) return visible();
  const seconds = WAIT_SECONDS_PATTERN.test(wait) ? Number(wait) : NaN;
  if (!(seconds >= 0 && seconds <= MAX_WAIT_SECONDS)) {
    throw new InvalidParameterValueError(`wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS} (got ${JSON.stringify(wait.slice(0, 32))})`);
  }
  await visible();
  // Hold the request until the record is final, the wait ends, or the client leaves.
  const timeout = AbortSignal.timeout(seconds * 1000);
  try {
    return await records.waitForFinal(id, AbortSignal.any([timeout, ctx.signal]));
  } catch (error) {
    if (!timeout.aborted) throw error;
    return (await records.get(id))!;
  }
}

/**
 * The `function` filter, checked: a name no function can have would match
 * nothing, and a caller who mistyped it would read "no records" as an answer.
 */
function functionParam(ctx: RequestContext, resolve: ((name: string) => string) | undefined): string | undefined {
  const name = ctx.url.searchParams.get('function');
  if (name === null || name === '') return undefined;
  if (resolve) {
    try {
      return resolve(name);
    } catch (error) {
      // Records and dead letters outlive a function removed from the config: its plain name still lists them.
      if (!(error instanceof ResourceNotFoundError) || !FUNCTION_NAME_PATTERN.test(name)) throw error;
      return name;
    }
  }
  if (!FUNCTION_NAME_PATTERN.test(name)) {
    throw new InvalidParameterValueError(`function must be a function name of 1 to 64 letters, digits, "-" or "_" (got ${JSON.stringify(name.slice(0, 64))}${name.length > 64 ? `, ${name.length} characters` : ''})`);
  }
  return name;
}

function listQuery(ctx: RequestContext, fn: string | undefined) {
  const status = ctx.url.searchParams.get('status');
  if (status !== null && !STATUSES.has(status)) {
    throw new InvalidParameterValueError(`status must be one of ${[...STATUSES].join(', ')} (got ${JSON.stringify(status.slice(0, 32))})`);
  }
  return { limit: limitOf(ctx), ...(fn && { functionName: fn }), ...(status && { status: status as InvocationStatus }) };
}

function limitOf(ctx: RequestContext): number {
  const raw = ctx.url.searchParams.get('limit');
  if (raw === null) return DEFAULT_LIST_LIMIT;
  // Plain decimal digits, as for `wait`: Number() would take " 5", "0x10" and "1e2".
  const limit = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) throw new InvalidParameterValueError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${JSON.stringify(raw.slice(0, 32))})`);
  return limit;
}
