import { InvalidParameterValueError, InvalidRequestContentError, ResourceNotFoundError } from '../errors/index.js';
import type { Invoker, FunctionRegistry, InvocationType } from '../invoke/index.js';
import { functionConfiguration } from './function-configuration.js';
import type { HttpRoute, RequestContext } from './http-route.js';
import { readBody } from './read-body.js';
import { sendJson } from './send.js';

const PREFIX = '/2015-03-31/functions';
const INVOCATION_TYPES = new Set<InvocationType>(['RequestResponse', 'Event', 'DryRun']);
/** Lambda's limit on the decoded X-Amz-Client-Context header. */
const MAX_CLIENT_CONTEXT_BYTES = 3583;

/** What the Lambda API needs from the host. */
export interface LambdaApiParts {
  invoker: Invoker;
  registry: FunctionRegistry;
  /** Largest body accepted at all (the larger of the sync and async limits). */
  maxBodyBytes: number;
}

/**
 * AWS Lambda's Invoke, ListFunctions and GetFunction on the wire, so
 * `@aws-sdk/client-lambda` works with only `endpoint` changed.
 */
export function lambdaApi(parts: LambdaApiParts): HttpRoute {
  return async (ctx) => {
    const path = ctx.url.pathname;
    if (!path.startsWith(PREFIX)) return false;
    const rest = path.slice(PREFIX.length);
    const method = ctx.req.method;
    if ((rest === '' || rest === '/') && method === 'GET') {
      listFunctions(ctx, parts.registry);
      return true;
    }
    const match = /^\/([^/]+)(\/invocations)?\/?$/.exec(rest);
    if (!match) return false;
    const name = decodeName(match[1]!);
    if (match[2] && method === 'POST') {
      await invoke(ctx, parts, name);
      return true;
    }
    if (!match[2] && method === 'GET') {
      getFunction(ctx, parts.registry, name);
      return true;
    }
    return false;
  };
}

async function invoke(ctx: RequestContext, parts: LambdaApiParts, name: string): Promise<void> {
  const { req, res, url } = ctx;
  const typeHeader = header(req.headers['x-amz-invocation-type']) ?? 'RequestResponse';
  if (!INVOCATION_TYPES.has(typeHeader as InvocationType)) {
    throw new InvalidParameterValueError(`X-Amz-Invocation-Type must be RequestResponse, Event or DryRun (got ${JSON.stringify(typeHeader.slice(0, 64))})`);
  }
  const logType = header(req.headers['x-amz-log-type']) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw new InvalidParameterValueError(`X-Amz-Log-Type must be None or Tail (got ${JSON.stringify(logType.slice(0, 64))})`);
  }
  const qualifier = url.searchParams.get('Qualifier');
  const target = qualifier ? `${name}:${qualifier}` : name;
  // Resolve before reading the body: an unknown function is refused without reading megabytes.
  parts.registry.resolve(target);
  const clientContext = decodeClientContext(header(req.headers['x-amz-client-context']));
  const body = await readBody(req, parts.maxBodyBytes);
  const result = await parts.invoker.invoke(target, body, {
    type: typeHeader as InvocationType,
    logType,
    requestId: ctx.requestId,
    signal: ctx.signal,
    ...(clientContext !== undefined && { clientContext }),
  });
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
  const payload = result.payload ?? 'null';
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function listFunctions(ctx: RequestContext, registry: FunctionRegistry): void {
  const all = registry.list();
  const marker = Number(ctx.url.searchParams.get('Marker') ?? 0);
  const maxItems = Number(ctx.url.searchParams.get('MaxItems') ?? 50);
  if (!Number.isInteger(marker) || marker < 0) throw new InvalidParameterValueError('Marker must be a marker returned by an earlier ListFunctions call');
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000) throw new InvalidParameterValueError('MaxItems must be an integer from 1 to 10000');
  const page = all.slice(marker, marker + maxItems).map(functionConfiguration);
  const next = marker + maxItems < all.length ? String(marker + maxItems) : undefined;
  sendJson(ctx.res, 200, { Functions: page, ...(next && { NextMarker: next }) }, { 'x-amzn-RequestId': ctx.requestId });
}

function getFunction(ctx: RequestContext, registry: FunctionRegistry, name: string): void {
  const { fn, job } = registry.resolve(name);
  if (job !== undefined && fn.spec.name !== name) {
    // A job address is not a function of its own.
    throw new ResourceNotFoundError(`Function not found: ${name} is job ${job} inside function ${fn.spec.name}`);
  }
  sendJson(ctx.res, 200, {
    Configuration: functionConfiguration(fn),
    Code: { RepositoryType: 'Local', Location: fn.package.moduleUrl },
    ...(fn.spec.reservedConcurrency !== undefined && { Concurrency: { ReservedConcurrentExecutions: fn.spec.reservedConcurrency } }),
    Tags: {},
  }, { 'x-amzn-RequestId': ctx.requestId });
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidParameterValueError('The function name in the path is not valid percent-encoding');
  }
}

function decodeClientContext(value: string | undefined): unknown {
  if (value === undefined || value === '') return undefined;
  const decoded = Buffer.from(value, 'base64');
  if (decoded.byteLength > MAX_CLIENT_CONTEXT_BYTES) {
    throw new InvalidParameterValueError(`Client context must be at most ${MAX_CLIENT_CONTEXT_BYTES} bytes once decoded (got ${decoded.byteLength})`);
  }
  try {
    const parsed: unknown = JSON.parse(decoded.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed;
  } catch (error) {
    throw new InvalidRequestContentError('Client context must be a valid Base64-encoded JSON object.', { cause: error });
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
