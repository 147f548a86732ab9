import type { ServerResponse } from 'node:http';
import type { AccessGate } from '../auth/index.js';
import type { ResolvedHttpOptions } from '../config/index.js';
import { httpStatusOf, InvalidParameterValueError, NeolithError, RouteNotFoundError, TooManyRequestsError } from '../errors/index.js';
import type { FunctionRegistry, Invoker } from '../invoke/index.js';
import { apiGatewayEvent, type ApiGatewayProxyEventV2 } from './api-gateway-event.js';
import { gatewayResponse, MalformedResponseError, type GatewayResponse } from './api-gateway-response.js';
import { CorsPolicy } from './cors.js';
import { rawPathOf, resolvesAway } from './raw-path.js';
import type { HttpRoute, RequestContext } from './http-route.js';
import { readBody } from './read-body.js';
import { RouteTable } from './route-table.js';
import { sendError } from './send.js';

/** What the REST routes need from the host. */
export interface RestApiParts {
  invoker: Invoker;
  registry: FunctionRegistry;
  http: ResolvedHttpOptions;
  accountId: string;
  /** Largest request body, bytes. */
  maxBodyBytes: number;
  /** Needed by routes with `auth: "iam"` or `"jwt"`. */
  access?: AccessGate;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * REST routes under the route prefix, as an API Gateway HTTP API with Lambda
 * proxy integrations (payload format 2.0): match the route, answer CORS
 * preflights, check the route's auth, build the event, invoke the function
 * or job, map its result to the response. Errors use API Gateway's shape,
 * `{ "message": … }` with `x-amzn-ErrorType`.
 */
export function restApi(parts: RestApiParts): HttpRoute | undefined {
  const { http } = parts;
  if (http.routes.length === 0 && !http.cors) return undefined;
  const table = new RouteTable(http.routes);
  const cors = http.cors ? new CorsPolicy(http.cors) : undefined;
  const prefix = http.routePrefix;
  const now = parts.now ?? Date.now;
  return async (ctx) => {
    const path = ctx.url.pathname;
    if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    const { req, res } = ctx;
    const extra = cors?.responseHeaders(req) ?? {};
    try {
      if (cors?.isPreflight(req)) {
        // Answered by the gateway itself: nothing is invoked.
        req.resume();
        res.writeHead(204, { ...cors.preflightHeaders(req), 'content-length': 0 });
        res.end();
        return true;
      }
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const sentPath = rawPathOf(raw);
      // Routed by the resolved path, handed on as sent: the two must be the same path ("/api/../api/x"
      // or "/x/../api/y" would reach a route with a rawPath, and a {proxy+}, never checked).
      if (resolvesAway(sentPath) || (prefix !== '' && sentPath !== prefix && !sentPath.startsWith(`${prefix}/`))) {
        req.resume();
        throw new InvalidParameterValueError('Bad Request: the path holds "." or ".." segments or a backslash, which a URL resolves away');
      }
      const rawPath = sentPath.slice(prefix.length) || '/';
      const rawQueryString = q < 0 ? '' : raw.slice(q + 1);
      const method = req.method ?? 'GET';
      const match = table.match(method, rawPath);
      if (!match) {
        req.resume();
        throw new RouteNotFoundError('Not Found');
      }
      const { route } = match;
      let body: Buffer | undefined;
      let authorizer: ApiGatewayProxyEventV2['requestContext']['authorizer'];
      const target = parts.registry.resolve(route.target);
      if (route.auth === 'iam') {
        const auth = await parts.access!.authenticate(req, () => readBody(req, parts.maxBodyBytes), { signedOnly: true, services: ['execute-api'] });
        const caller = auth.caller!;
        parts.access!.policy.check(caller, 'lambda:InvokeFunction', target.fn.spec.name, target.job);
        body = auth.body;
        authorizer = {
          iam: {
            accessKey: caller.accessKeyId, accountId: caller.accountId, callerId: caller.name, cognitoIdentity: null,
            principalOrgId: null, userArn: caller.arn, userId: caller.name,
          },
        };
      } else if (route.auth === 'jwt') {
        authorizer = { jwt: await parts.access!.jwt!.verify(req.headers.authorization) };
      }
      body ??= await readBody(req, parts.maxBodyBytes);
      const event = apiGatewayEvent({
        req, routeKey: route.key, rawPath, rawQueryString, pathParameters: match.pathParameters, body,
        requestId: ctx.requestId, accountId: parts.accountId, now: now(), ...(authorizer && { authorizer }),
      });
      const result = await parts.invoker.invoke(route.target, event, {
        // As in Lambda, a caller that hangs up does not stop the invocation (see lambda-api.ts).
        type: route.invocation, requestId: ctx.requestId,
      });
      if (result.statusCode === 202) {
        send(res, 202, { ...extra, 'content-type': 'application/json', 'x-amzn-RequestId': result.requestId }, [], Buffer.from(JSON.stringify({ requestId: result.requestId })));
        return true;
      }
      if (result.functionError) {
        sendMessage(res, 500, 'Internal Server Error', undefined, extra, ctx.requestId);
        return true;
      }
      let response: GatewayResponse;
      try {
        response = gatewayResponse(result.payload ?? 'null');
      } catch (error) {
        if (!(error instanceof MalformedResponseError)) throw error;
        // The function's fault, not the caller's nor the host's: an HTTP API (payload 2.0) answers it as a
        // function error, 500 (a REST API would say 502); the reason goes to the host's log.
        process.emitWarning(`neolith: function ${route.target} returned a malformed response to ${route.key} (request ${ctx.requestId}): ${error.message}`);
        sendMessage(res, 500, 'Internal Server Error', undefined, extra, ctx.requestId);
        return true;
      }
      // With a CORS policy the gateway's answer stands, not the function's (API Gateway ignores those then).
      const headers = cors ? withoutCorsHeaders(response.headers) : { ...response.headers };
      // The function's names are lower case: ours in lower case too replace rather than repeat them.
      if (headers.vary !== undefined && extra.vary !== undefined) headers.vary = `${headers.vary}, ${extra.vary}`;
      send(res, response.statusCode, { ...extra, ...headers, 'x-amzn-requestid': ctx.requestId }, response.cookies, method === 'HEAD' ? undefined : response.body);
    } catch (error) {
      sendGatewayError(ctx, error, extra);
    }
    return true;
  };
}

function withoutCorsHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.toLowerCase().startsWith('access-control-')));
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, cookies: string[], body: Buffer | undefined): void {
  const all: Record<string, string | string[] | number> = { ...headers };
  // A set-cookie header of the function's joins its cookies rather than being replaced by them.
  if (cookies.length > 0) all['set-cookie'] = [...(headers['set-cookie'] !== undefined ? [headers['set-cookie']] : []), ...cookies];
  // No body, and no length, in a 204 or 304 (RFC 9110 §8.6).
  if (status === 204 || status === 304) body = undefined;
  else if (body) all['content-length'] = body.length;
  res.writeHead(status, all);
  res.end(body);
}

function sendMessage(res: ServerResponse, status: number, message: string, type: string | undefined, extra: Record<string, string>, requestId: string): void {
  const headers: Record<string, string> = { ...extra, 'content-type': 'application/json', 'x-amzn-RequestId': requestId };
  if (type) headers['x-amzn-ErrorType'] = type;
  send(res, status, headers, [], Buffer.from(JSON.stringify({ message })));
}

/** API Gateway's error shape: `{ message }`, the type in `x-amzn-ErrorType`. */
function sendGatewayError(ctx: RequestContext, error: unknown, extra: Record<string, string>): void {
  const { res, requestId } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof NeolithError) {
    const headers = error instanceof TooManyRequestsError ? { ...extra, 'Retry-After': '1' } : extra;
    sendMessage(res, httpStatusOf(error), error.message, error.code, headers, requestId);
    return;
  }
  sendError(res, error, requestId);
}
