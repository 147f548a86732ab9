import { isUtf8 } from 'node:buffer';
import { callerIdentity, type AccessGate, type Principal } from '../auth/index.js';
import { InvalidParameterValueError, InvalidRequestContentError, NeolithError, ResourceNotFoundError } from '../errors/index.js';
import type { Invoker, FunctionRegistry, InvocationType, InvokeOptions, InvokeResult, RegisteredFunction, Target } from '../invoke/index.js';
import { EventStreamResponse, type InvokeCompleteEvent } from './event-stream-response.js';
import { functionConfiguration } from './function-configuration.js';
import type { FunctionManager } from './function-manager.js';
import type { HttpRoute, RequestContext } from './http-route.js';
import { readBody } from './read-body.js';
import { parseJsonObjectBody } from './json-object-body.js';
import { sendJson } from './send.js';

const INVOCATION_TYPES = new Set<InvocationType>(['RequestResponse', 'Event', 'DryRun']);
/** InvokeWithResponseStream's `InvocationType`: no Event (API_InvokeWithResponseStream). */
const STREAM_INVOCATION_TYPES = new Set<InvocationType>(['RequestResponse', 'DryRun']);
/** Lambda's limit on the X-Amz-Client-Context header: "up to 3,583 bytes of base64-encoded data" (API_Invoke). */
const MAX_CLIENT_CONTEXT_BYTES = 3583;
/** Management request bodies are small JSON documents. */
const MAX_MANAGEMENT_BODY_BYTES = 64 * 1024;
/** Every path of Lambda's API starts with one of its API versions. */
const API_PATH = /^\/(?:(?:2015-03-31|2017-10-31|2019-09-30|2019-09-25|2021-11-15)\/functions(?:\/|$)|2016-08-19\/account-settings\/?$)/;

/** The operations served, as Lambda names them (IAM action = `lambda:<name>`). */
type Operation =
  | 'ListFunctions' | 'GetFunction' | 'GetFunctionConfiguration' | 'InvokeFunction' | 'InvokeWithResponseStream'
  | 'ListVersionsByFunction' | 'ListAliases' | 'GetAccountSettings'
  | 'GetPolicy' | 'AddPermission' | 'RemovePermission'
  | 'PutFunctionConcurrency' | 'DeleteFunctionConcurrency' | 'GetFunctionConcurrency'
  | 'GetFunctionEventInvokeConfig' | 'PutFunctionEventInvokeConfig' | 'UpdateFunctionEventInvokeConfig'
  | 'DeleteFunctionEventInvokeConfig';

/** Method + path → operation, as `@aws-sdk/client-lambda` sends them. */
const OPERATIONS: ReadonlyArray<readonly [string, RegExp, Operation]> = [
  ['GET', /^\/2015-03-31\/functions\/?$/, 'ListFunctions'],
  ['POST', /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/, 'InvokeFunction'],
  ['POST', /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations\/?$/, 'InvokeWithResponseStream'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/?$/, 'GetFunction'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/, 'GetFunctionConfiguration'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/versions\/?$/, 'ListVersionsByFunction'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/aliases\/?$/, 'ListAliases'],
  ['GET', /^\/2016-08-19\/account-settings\/?$/, 'GetAccountSettings'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/policy\/?$/, 'GetPolicy'],
  ['POST', /^\/2015-03-31\/functions\/([^/]+)\/policy\/?$/, 'AddPermission'],
  ['DELETE', /^\/2015-03-31\/functions\/([^/]+)\/policy\/([^/]+)\/?$/, 'RemovePermission'],
  ['PUT', /^\/2017-10-31\/functions\/([^/]+)\/concurrency\/?$/, 'PutFunctionConcurrency'],
  ['DELETE', /^\/2017-10-31\/functions\/([^/]+)\/concurrency\/?$/, 'DeleteFunctionConcurrency'],
  ['GET', /^\/2019-09-30\/functions\/([^/]+)\/concurrency\/?$/, 'GetFunctionConcurrency'],
  ['GET', /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/, 'GetFunctionEventInvokeConfig'],
  ['PUT', /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/, 'PutFunctionEventInvokeConfig'],
  ['POST', /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/, 'UpdateFunctionEventInvokeConfig'],
  ['DELETE', /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/, 'DeleteFunctionEventInvokeConfig'],
];

/** What the Lambda API needs from the host. */
export interface LambdaApiParts {
  invoker: Invoker;
  registry: FunctionRegistry;
  /** Largest body accepted at all (the larger of the sync and async limits). */
  maxBodyBytes: number;
  /** Authentication and permissions; undefined = auth off (every caller may do anything). */
  access?: AccessGate;
  /** The management operations (concurrency, event invoke config, permissions); without it they are unknown. */
  manager?: FunctionManager;
}

/** One request's operation, caller and (when already read) body. */
interface Call {
  ctx: RequestContext;
  parts: LambdaApiParts;
  operation: Operation;
  /** Function name from the path (decoded), if the operation has one. */
  name: string | undefined;
  /** Second path parameter (RemovePermission's statement id). */
  extra: string | undefined;
  caller: Principal | undefined;
  body: Buffer | undefined;
}

/**
 * AWS Lambda's API on the wire — Invoke, ListFunctions, GetFunction(Configuration),
 * concurrency, event invoke config and permissions — so
 * `@aws-sdk/client-lambda` works with only `endpoint` changed. With auth on,
 * every request is authenticated (SigV4 or the anonymous rule) and checked
 * against the permission policy before it does anything.
 */
export function lambdaApi(parts: LambdaApiParts): HttpRoute {
  return async (ctx) => {
    const path = ctx.url.pathname;
    if (!API_PATH.test(path)) return false;
    const method = ctx.req.method;
    let operation: Operation | undefined;
    let match: RegExpExecArray | null = null;
    for (const [m, pattern, op] of OPERATIONS) {
      if (m === method && (match = pattern.exec(path))) {
        operation = op;
        break;
      }
    }
    if (!operation || (!parts.manager && !BASIC.has(operation))) return false;
    const call: Call = {
      ctx, parts, operation, caller: undefined, body: undefined,
      name: match?.[1] === undefined ? undefined : decodeName(match[1]),
      extra: match?.[2] === undefined ? undefined : decodeName(match[2]),
    };
    // The one branch auth-off requests pay.
    if (parts.access) {
      const limit = operation === 'InvokeFunction' || operation === 'InvokeWithResponseStream' ? parts.maxBodyBytes : MAX_MANAGEMENT_BODY_BYTES;
      const auth = await parts.access.authenticate(ctx.req, () => readBody(ctx.req, limit), LAMBDA_SIGNING);
      call.caller = auth.caller;
      call.body = auth.body;
    }
    await serve(call);
    return true;
  };
}

/** Lambda's API answers signatures scoped to Lambda only. */
const LAMBDA_SIGNING = { services: ['lambda'] } as const;

const BASIC = new Set<Operation>(['ListFunctions', 'GetFunction', 'InvokeFunction', 'InvokeWithResponseStream']);

async function serve(call: Call): Promise<void> {
  const { ctx, parts, operation } = call;
  if (operation === 'ListFunctions') {
    const caller = call.caller;
    if (caller) parts.access!.policy.checkAccount(caller, 'lambda:ListFunctions');
    // A restricted function (and its configuration, environment included) is listed to the principals named only.
    listFunctions(ctx, parts.registry, caller && ((name) => parts.access!.policy.allows(caller, 'lambda:GetFunction', name)));
    return;
  }
  if (operation === 'InvokeFunction' || operation === 'InvokeWithResponseStream') {
    await invoke(call);
    return;
  }
  if (operation === 'GetAccountSettings') {
    if (call.caller) parts.access!.policy.checkAccount(call.caller, 'lambda:GetAccountSettings');
    sendJson(ctx.res, 200, accountSettings(parts.registry, parts.manager!.concurrencyLimit), { 'x-amzn-RequestId': ctx.requestId });
    return;
  }
  const fn = functionOf(call);
  const manager = parts.manager!;
  const reply = (status: number, body?: unknown) => {
    if (body === undefined) {
      ctx.res.writeHead(status, { 'x-amzn-RequestId': ctx.requestId });
      ctx.res.end();
    } else {
      sendJson(ctx.res, status, body, { 'x-amzn-RequestId': ctx.requestId });
    }
  };
  switch (operation) {
    case 'GetFunction':
      return reply(200, {
        Configuration: functionConfiguration(fn),
        Code: { RepositoryType: 'Local', Location: fn.package.moduleUrl },
        ...(fn.spec.reservedConcurrency !== undefined && { Concurrency: { ReservedConcurrentExecutions: fn.spec.reservedConcurrency } }),
        Tags: {},
      });
    case 'GetFunctionConfiguration':
      return reply(200, functionConfiguration(fn));
    // Only $LATEST exists here: no published versions, no aliases (tools list them before deploying).
    case 'ListVersionsByFunction': {
      const { marker, maxItems } = pageOf(ctx);
      // Lambda names the $LATEST entry by its qualified ARN here (GetFunctionConfiguration does not).
      const versions = [{ ...functionConfiguration(fn), FunctionArn: `${fn.arn}:$LATEST` }];
      const next = marker + maxItems < versions.length ? String(marker + maxItems) : undefined;
      return reply(200, { Versions: versions.slice(marker, marker + maxItems), ...(next && { NextMarker: next }) });
    }
    case 'ListAliases':
      pageOf(ctx);
      return reply(200, { Aliases: [] });
    case 'GetPolicy':
      return reply(200, manager.policyOf(fn));
    case 'AddPermission':
      return reply(201, { Statement: JSON.stringify(manager.addPermission(fn, await jsonBody(call))) });
    case 'RemovePermission':
      manager.removePermission(fn, call.extra!);
      return reply(204);
    case 'PutFunctionConcurrency':
      return reply(200, { ReservedConcurrentExecutions: manager.putConcurrency(fn, (await jsonBody(call)).ReservedConcurrentExecutions) });
    case 'DeleteFunctionConcurrency':
      manager.deleteConcurrency(fn);
      return reply(204);
    case 'GetFunctionConcurrency':
      return reply(200, fn.spec.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.spec.reservedConcurrency });
    case 'GetFunctionEventInvokeConfig':
      return reply(200, manager.eventInvokeConfig(fn));
    case 'PutFunctionEventInvokeConfig':
    case 'UpdateFunctionEventInvokeConfig':
      return reply(200, manager.putEventInvokeConfig(fn, await jsonBody(call), operation === 'UpdateFunctionEventInvokeConfig'));
    case 'DeleteFunctionEventInvokeConfig':
      manager.deleteEventInvokeConfig(fn);
      return reply(204);
  }
}

/**
 * The function a management operation names, checked against the caller's
 * permissions. A job address is not a function of its own.
 */
function functionOf(call: Call): RegisteredFunction {
  const name = call.name!;
  const target = call.parts.registry.resolve(name, qualifierOf(call));
  const { fn, job } = target;
  if (job !== undefined && fn.spec.name !== name) {
    throw new ResourceNotFoundError(`Function not found: ${name} is job ${job} inside function ${fn.spec.name}`);
  }
  authorize(call, target);
  return fn;
}

function authorize(call: Call, target: Target): void {
  // Streaming a response is invoking, to IAM: there is no lambda:InvokeWithResponseStream action.
  const action = call.operation === 'InvokeWithResponseStream' ? 'lambda:InvokeFunction' : `lambda:${call.operation}`;
  if (call.caller) call.parts.access!.policy.check(call.caller, action, target.fn.spec.name, target.job);
}

/** The `Qualifier` query parameter, if the request has one (only $LATEST exists here). */
function qualifierOf(call: Call): string | undefined {
  return call.ctx.url.searchParams.get('Qualifier') || undefined;
}

async function jsonBody(call: Call): Promise<Record<string, unknown>> {
  return parseJsonObjectBody(call.body ?? await readBody(call.ctx.req, MAX_MANAGEMENT_BODY_BYTES));
}

/** Invoke and InvokeWithResponseStream: the same checks, limits and errors; different answers. */
async function invoke(call: Call): Promise<void> {
  const { ctx, parts } = call;
  const name = call.name!;
  const { req, res } = ctx;
  const streaming = call.operation === 'InvokeWithResponseStream';
  const typeHeader = header(req.headers['x-amz-invocation-type']) ?? 'RequestResponse';
  if (!(streaming ? STREAM_INVOCATION_TYPES : INVOCATION_TYPES).has(typeHeader as InvocationType)) {
    const allowed = streaming ? 'RequestResponse or DryRun' : 'RequestResponse, Event or DryRun';
    throw new InvalidParameterValueError(`X-Amz-Invocation-Type must be ${allowed} (got ${JSON.stringify(typeHeader.slice(0, 64))})`);
  }
  const logType = header(req.headers['x-amz-log-type']) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw new InvalidParameterValueError(`X-Amz-Log-Type must be None or Tail (got ${JSON.stringify(logType.slice(0, 64))})`);
  }
  // Resolve before reading the body: an unknown function is refused without reading megabytes.
  // Resolved, the qualifier is $LATEST or none, so `name` alone names the same target for the invoker.
  const resolved = parts.registry.resolve(name, qualifierOf(call));
  authorize(call, resolved);
  const clientContext = decodeClientContext(header(req.headers['x-amz-client-context']));
  const body = call.body ?? await readBody(req, parts.maxBodyBytes);
  const options: InvokeOptions = {
    type: typeHeader as InvocationType,
    logType,
    requestId: ctx.requestId,
    // A caller that hangs up does not stop its invocation, as in Lambda: stopping one means
    // terminating its environment, and the next call would pay a cold start for it.
    ...(clientContext !== undefined && { clientContext }),
    ...(call.caller && { identity: callerIdentity(call.caller) }),
  };
  if (streaming) {
    await invokeWithResponseStream(ctx, parts.invoker, name, body, options);
    return;
  }
  const result = await parts.invoker.invoke(name, body, options);
  const headers: Record<string, string> = {
    'x-amzn-RequestId': result.requestId,
    'X-Amz-Executed-Version': result.executedVersion,
  };
  if (result.statusCode !== 200) {
    res.writeHead(result.statusCode, headers);
    res.end();
    return;
  }
  if (result.functionError) headers['X-Amz-Function-Error'] = result.functionError;
  if (result.logResult !== undefined) headers['X-Amz-Log-Result'] = result.logResult;
  // A streaming handler's buffered response travels as the bytes it wrote.
  const payload = result.payloadBytes ?? result.payload ?? 'null';
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength });
  res.end(payload);
}

/**
 * InvokeWithResponseStream's answer: the function's output as PayloadChunk
 * events while it runs, then InvokeComplete with the error (ErrorCode =
 * Lambda's error type) and the log tail, if any. DryRun answers 204.
 */
async function invokeWithResponseStream(ctx: RequestContext, invoker: Invoker, name: string, body: Buffer, options: InvokeOptions): Promise<void> {
  const headers = { 'x-amzn-RequestId': ctx.requestId, 'X-Amz-Executed-Version': '$LATEST' };
  const stream = new EventStreamResponse(ctx.res, headers);
  let result: InvokeResult;
  try {
    result = await invoker.invokeWithResponseStream(name, body, (bytes, release, contentType) => stream.chunk(bytes, release, contentType), options);
  } catch (error) {
    // Before any output this is an ordinary error response; after, only the last event can say it.
    if (!stream.started) throw error;
    stream.complete(error instanceof NeolithError
      ? { ErrorCode: error.code, ErrorDetails: error.message }
      : { ErrorCode: 'ServiceException', ErrorDetails: 'Internal error in the neolith host' });
    if (!(error instanceof NeolithError)) process.emitWarning(`neolith: unexpected error serving a request: ${(error as Error)?.stack ?? String(error)}`);
    return;
  }
  if (result.statusCode !== 200) {
    ctx.res.writeHead(result.statusCode, headers);
    ctx.res.end();
    return;
  }
  const complete: InvokeCompleteEvent = {};
  if (result.error) {
    complete.ErrorCode = result.error.errorType;
    complete.ErrorDetails = result.error.errorMessage;
  }
  if (result.logResult !== undefined) complete.LogResult = result.logResult;
  stream.complete(complete);
}

function listFunctions(ctx: RequestContext, registry: FunctionRegistry, visible?: (functionName: string) => boolean): void {
  const all = visible ? registry.list().filter((fn) => visible(fn.spec.name)) : registry.list();
  const { marker, maxItems } = pageOf(ctx);
  const page = all.slice(marker, marker + maxItems).map(functionConfiguration);
  const next = marker + maxItems < all.length ? String(marker + maxItems) : undefined;
  sendJson(ctx.res, 200, { Functions: page, ...(next && { NextMarker: next }) }, { 'x-amzn-RequestId': ctx.requestId });
}

/** GetAccountSettings: Lambda's default code-size quotas, and this host's concurrency as the account's. */
function accountSettings(registry: FunctionRegistry, concurrencyLimit: number): Record<string, unknown> {
  return {
    AccountLimit: {
      TotalCodeSize: 80_530_636_800,
      CodeSizeUnzipped: 262_144_000,
      CodeSizeZipped: 52_428_800,
      ConcurrentExecutions: concurrencyLimit,
      UnreservedConcurrentExecutions: Math.max(0, concurrencyLimit - registry.reservedTotal()),
    },
    AccountUsage: { TotalCodeSize: 0, FunctionCount: registry.list().length },
  };
}

/** The `Marker` and `MaxItems` of a List operation, checked. */
function pageOf(ctx: RequestContext): { marker: number; maxItems: number } {
  const marker = Number(ctx.url.searchParams.get('Marker') ?? 0);
  const maxItems = Number(ctx.url.searchParams.get('MaxItems') ?? 50);
  if (!Number.isInteger(marker) || marker < 0) throw new InvalidParameterValueError('Marker must be a marker returned by an earlier List call');
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000) throw new InvalidParameterValueError('MaxItems must be an integer from 1 to 10000');
  return { marker, maxItems };
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidParameterValueError('The function name in the path is not valid percent-encoding');
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeClientContext(value: string | undefined): unknown {
  if (value === undefined || value === '') return undefined;
  // The limit is on the header as sent (base64 text), not on what it decodes to.
  if (value.length > MAX_CLIENT_CONTEXT_BYTES) {
    throw new InvalidParameterValueError(`Client context must be at most ${MAX_CLIENT_CONTEXT_BYTES} bytes of base64-encoded data (got ${value.length})`);
  }
  try {
    // Node's decoder skips what is not base64 ("e30=!!" reads as "{}"): the header must be base64 and nothing
    // else, padded or not (3,583 characters, the limit, can only be unpadded).
    if (!BASE64.test(value) || (value.endsWith('=') ? value.length % 4 !== 0 : value.length % 4 === 1)) throw new Error('not base64');
    const decoded = Buffer.from(value, 'base64');
    if (!isUtf8(decoded)) throw new Error('not UTF-8');
    const parsed: unknown = JSON.parse(decoded.toString('utf8'));
    // Lambda hands the function an object (context.clientContext): an array or null is refused like bad JSON.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed;
  } catch (error) {
    throw new InvalidRequestContentError('Client context must be a valid Base64-encoded JSON object.', { cause: error });
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
