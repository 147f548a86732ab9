import { isUtf8 } from 'node:buffer';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GraphqlOptions } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { HttpRoute, RequestContext } from '../http/index.js';
import { armorRefusal } from './armor-refusal.js';
import { AsyncInvocations } from './async-invocations.js';
import { bindFunctions, type GatewayContext, type RequestScope, type SdlFile } from './bind-functions.js';
import type { GatewayHost } from './gateway-host.js';
import { resolveGraphqlOptions, type ResolvedGraphqlOptions } from './gateway-options.js';
import { GraphiqlPage } from './graphiql-page.js';
import { IdentityVerifier, type SignedGatewayRequest } from './identity-verifier.js';
import { useMalformedParamsAsBadRequest } from './malformed-params.js';
import { useQueryOrderedExecution } from './query-ordered-execution.js';
import { useNotAcceptableExplained } from './not-acceptable.js';
import { useUnsupportedMediaTypeExplained } from './unsupported-media-type.js';
import { RequestLoaders, type FieldBinding } from './request-loaders.js';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { corsOptions } from './yoga-cors.js';
import { GATEWAY_ERROR_CODES } from './gateway-errors.js';

/** Subscriptions and operations one graphql-ws connection may have open at once. */
export const MAX_OPERATIONS_PER_SOCKET = 100;

/** Where the gateway answers. */
export const GRAPHQL_PATH = '/graphql';

/** What yoga hands the context factory: HTTP requests carry `request`, WebSocket ones `connectionParams` and `req`. */
interface InitialContext {
  request?: Request;
  req?: IncomingMessage;
  connectionParams?: Record<string, unknown>;
}

/**
 * The GraphQL gateway: the schema from `schema/*.graphql` with `@fn` fields
 * resolved by jobs, served by graphql-yoga (HTTP, GraphiQL, SSE) and
 * graphql-ws (WebSocket), behind graphql-armor's abuse limits, a request
 * size limit and JWT or SigV4 identity.
 */
export class GraphqlGateway {
  readonly yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
  readonly schema: GraphQLSchema;
  readonly bindings: readonly FieldBinding[];
  readonly options: ResolvedGraphqlOptions;
  readonly #invocations: AsyncInvocations;
  readonly #closers: Array<() => Promise<void> | void> = [];
  readonly #allowedOrigins: readonly string[];
  readonly #graphiql = new GraphiqlPage('neolith');
  #closed: Promise<void> | undefined;

  private constructor(host: GatewayHost, options: ResolvedGraphqlOptions, files: SdlFile[]) {
    this.options = options;
    this.#allowedOrigins = host.config.http?.cors?.allowOrigins ?? [];
    this.#invocations = new AsyncInvocations(host.invocations, options.invocationVisibility);
    const { schema, bindings } = bindFunctions(files, host, this.#invocations);
    this.schema = schema;
    this.bindings = bindings;
    const verifier = new IdentityVerifier(options.auth, () => host.api?.access);
    this.yoga = createYoga<Record<string, unknown>, GatewayContext>({
      schema,
      graphqlEndpoint: GRAPHQL_PATH,
      landingPage: false,
      // route() serves GraphiQL itself, rendered and compressed once (see GraphiqlPage).
      graphiql: false,
      // route() already read the body within graphql.maxRequestBytes; yoga's own limit would
      // pipe the same bytes through a stream again (~10% of a small request's CPU).
      maxRequestBodySize: false,
      // Function and host errors are GraphQLErrors with codes; anything else is a bug and is masked.
      maskedErrors: options.maskErrors,
      // Cross-origin: only what the host's `cors` allows (default: same-origin only). yoga's own default
      // would echo any Origin with credentials, so any web page could read and mutate through a developer's browser.
      cors: host.config.http?.cors ? corsOptions(host.config.http.cors) : false,
      plugins: [
        // Requests a browser sends cross-site without a preflight (form posts, text/plain, header-less GETs)
        // must carry a header only a preflighted request can: CSRF, even with CORS off.
        useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'apollo-require-preflight', 'authorization'] }),
        useMalformedParamsAsBadRequest(),
        useUnsupportedMediaTypeExplained(),
        useNotAcceptableExplained(),
        useQueryOrderedExecution(),
        EnvelopArmorPlugin({
          maxDepth: { n: options.maxDepth, onReject: [armorRefusal('maxDepth')] },
          maxAliases: { n: options.maxAliases, onReject: [armorRefusal('maxAliases')] },
          maxTokens: { n: options.maxTokens, onReject: [armorRefusal('maxTokens')] },
          maxDirectives: { n: options.maxDirectives, onReject: [armorRefusal('maxDirectives')] },
          costLimit: { maxCost: options.maxCost, onReject: [armorRefusal('maxCost')] },
          blockFieldSuggestion: { enabled: options.maskErrors },
        }),
      ],
      context: async (initial: InitialContext): Promise<GatewayContext> => {
        const headers = headersOf(initial);
        const identity = await verifier.identify(headers.authorization, signedRequestOf(initial));
        // No abort signal for the loaders: as with AppSync's Lambda resolvers, a client that goes away
        // does not stop the invocations its query started (stopping one terminates its environment).
        const scope: RequestScope = { identity, headers, loaders: new RequestLoaders(host, options.maxFunctionCalls) };
        return { neolith: scope };
      },
    });
  }

  /**
   * Builds the gateway for a host, or returns undefined when there is no
   * schema (no `schema/` folder and none configured). Binding mistakes throw
   * one `ConfigError` naming each field.
   */
  static create(host: GatewayHost, options?: GraphqlOptions): GraphqlGateway | undefined {
    const resolved = resolveGraphqlOptions(options ?? host.config.graphql, host.config.rootDir);
    const files = readSchemaFiles(resolved, host.config.rootDir);
    if (files.length === 0) return undefined;
    return new GraphqlGateway(host, resolved, files);
  }

  /** The HTTP route serving `/graphql` (queries, mutations, SSE subscriptions, GraphiQL). */
  route(): HttpRoute {
    const limit = this.options.maxRequestBytes;
    return async (ctx: RequestContext) => {
      if (ctx.url.pathname !== GRAPHQL_PATH) return false;
      const { req, res } = ctx;
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
        const body = await readLimited(req, limit);
        if (body === undefined) {
          sendTooLarge(res, limit);
          return true;
        }
        // Decoding would silently turn invalid bytes into U+FFFD and run an operation the client never
        // sent. Multipart bodies carry files, which are bytes, not text.
        if (!isUtf8(body) && !isMultipart(req)) {
          sendBadRequest(res, 'The request body is not valid UTF-8');
          return true;
        }
        // @whatwg-node reads a body already taken from the stream from `req.body`.
        (req as IncomingMessage & { body?: Buffer }).body = body;
      } else if (ctx.url.search.length > limit) {
        sendTooLarge(res, limit);
        return true;
      } else if (!decodesToText(ctx.url.search)) {
        // As for a body: URLSearchParams would turn bad escapes into U+FFFD and run what was never sent.
        sendBadRequest(res, 'The query string is not valid: a percent-escape is malformed or not UTF-8');
        return true;
      } else if (GraphiqlPage.wanted(req)) {
        await this.#graphiql.serve(req, res);
        return true;
      }
      // The listener takes extra server context at run time; its type only names (req, res).
      const listener = this.yoga.requestListener as unknown as (...args: [IncomingMessage, ServerResponse, object]) => Promise<void>;
      await listener(req, res, { signal: ctx.signal });
      return true;
    };
  }

  /**
   * Serves `graphql-ws` (WebSocket subscriptions and operations) on the
   * server's `/graphql` upgrades; `acceptsHost` is the HTTP server's `Host`
   * check, which upgrades bypass otherwise.
   */
  attachWebSocket(server: Server, acceptsHost: (req: IncomingMessage) => boolean = () => true): void {
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxRequestBytes });
    const onUpgrade = (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void => {
      // The only upgrade listener: Node no longer answers other upgrades itself, so refuse them here
      // (left alone, the socket would stay open and hold the server's close).
      const refuse = (status: string): void => void socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== GRAPHQL_PATH) return refuse('404 Not Found');
      // WebSockets are not bound by CORS: a page of another origin could otherwise subscribe and mutate.
      // A rebound name passes the origin check (the page's origin is its Host): the Host check catches it.
      if (!acceptsHost(req) || !this.#originAllowed(req)) return refuse('403 Forbidden');
      wss.handleUpgrade(req, socket, head, (ws) => {
        wss.emit('connection', ws, req);
        answerProtocolErrorsQuietly(ws);
      });
    };
    server.on('upgrade', onUpgrade);
    // Each operation's enveloped execute and subscribe, found by its context. Not carried as the
    // rootValue (yoga's recipe): root fields would then get it as their parent, and a job `{}` as its
    // `source` where AppSync, HTTP and SSE give null.
    const envelopes = new WeakMap<object, Pick<ReturnType<typeof this.yoga.getEnveloped>, 'execute' | 'subscribe'>>();
    const envelopeOf = (contextValue: unknown) => envelopes.get(contextValue as object)!;
    const disposable = useServer<Record<string, unknown>, { request: IncomingMessage }>({
      execute: async (args) => withoutHttpExtensions(await envelopeOf(args.contextValue).execute(args)),
      subscribe: (args) => envelopeOf(args.contextValue).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        // Each open subscription holds a record listener: one socket must not hold thousands.
        // graphql-ws has reserved this operation's slot already, so it is counted here.
        if (Object.keys(ctx.subscriptions).length > MAX_OPERATIONS_PER_SOCKET) {
          return [new GraphQLError(
            `at most ${MAX_OPERATIONS_PER_SOCKET} operations at once on one connection; complete some, or open another connection`,
            { extensions: { code: GATEWAY_ERROR_CODES.badRequest } },
          )];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = this.yoga.getEnveloped({
          ...ctx, req: ctx.extra.request, connectionParams: ctx.connectionParams, params,
        });
        // A refused operation (syntax, a limit, no identity) answers that operation with its errors;
        // thrown, it would close the whole connection and every other subscription on it.
        try {
          const document = parse(params.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors.map(withoutHttpExtension);
          const contextValue = await contextFactory();
          envelopes.set(contextValue, { execute, subscribe });
          return { schema, document, operationName: params.operationName, variableValues: params.variables, contextValue };
        } catch (error) {
          if (error instanceof GraphQLError) return [withoutHttpExtension(error)];
          throw error;
        }
      },
    }, wss);
    this.#closers.push(async () => {
      server.off('upgrade', onUpgrade);
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
  }

  /** A browser's WebSocket from this origin or one the host's `cors` allows; other clients send no Origin. */
  #originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const allowed = this.#allowedOrigins;
    if (allowed.includes('*') || allowed.includes(origin)) return true;
    try {
      return new URL(origin).host.toLowerCase() === (req.headers.host ?? '').toLowerCase();
    } catch {
      return false; // "null" (a sandboxed page, a file) and other opaque origins
    }
  }

  /** Ends open subscriptions and WebSocket connections. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const steps = [() => this.#invocations.close(), ...this.#closers, () => this.yoga.dispose()];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          process.emitWarning(`neolith: a GraphQL gateway close step failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.#closed;
  }
}

/**
 * Builds the gateway for a host and returns its HTTP route (a route that
 * declines every request when the app has no schema). Mount it with
 * `server.use(await createGatewayRoute(host, server))`; the gateway closes
 * with the host.
 */
export async function createGatewayRoute(
  host: GatewayHost & { onClose(closer: () => Promise<void> | void): void; readonly logger?: { warn(message: string): void } },
  server: { readonly server: Server; acceptsHost?(req: IncomingMessage): boolean },
  options?: GraphqlOptions,
): Promise<HttpRoute> {
  const gateway = GraphqlGateway.create(host, options);
  if (!gateway) return () => false;
  if (host.config.http?.auth && gateway.options.auth.anonymous) {
    // Signed callers and permissions guard the Lambda API; GraphQL has its own rule, and it lets anyone in.
    host.logger?.warn('http.auth is set but graphql.auth.anonymous is true (the default): anyone who reaches /graphql runs its @fn fields, whatever auth.permissions say; set graphql.auth.anonymous: false to require a signed-in user');
  }
  gateway.attachWebSocket(server.server, server.acceptsHost ? (req) => server.acceptsHost!(req) : undefined);
  host.onClose(() => gateway.close());
  return gateway.route();
}

function readSchemaFiles(options: ResolvedGraphqlOptions, rootDir: string): SdlFile[] {
  const dir = options.schemaDir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const files = readdirSync(dir).filter((f) => /\.(graphql|gql)$/.test(f)).sort();
  if (files.length === 0 && options.schemaDirExplicit) {
    throw new ConfigError([`graphql.schemaDir must hold at least one *.graphql file (got ${JSON.stringify(relative(rootDir, dir))})`]);
  }
  return files.map((f) => ({ name: relative(rootDir, join(dir, f)), text: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * A client that breaks the WebSocket protocol (a message past maxRequestBytes,
 * text that is not UTF-8, a bad opcode) gets ws's close code for it (1009,
 * 1007, 1002), and that is the whole answer: graphql-ws would also print each
 * as an internal error with its stack, which any client could fill the
 * host's stderr with. Other errors still reach graphql-ws's listener.
 */
function answerProtocolErrorsQuietly(ws: WebSocket): void {
  const theirs = ws.listeners('error') as Array<(error: Error) => void>;
  ws.removeAllListeners('error');
  ws.once('error', (error: Error & { code?: unknown }) => {
    if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) return;
    for (const listener of theirs) listener.call(ws, error);
  });
}

/** A result as a graphql-ws client gets it (see `withoutHttpExtension`); a stream of results passes as it is. */
function withoutHttpExtensions<T>(result: T): T {
  if (typeof result !== 'object' || result === null || Symbol.asyncIterator in result) return result;
  const errors = (result as { errors?: readonly GraphQLError[] }).errors;
  if (!errors?.some((error) => 'http' in error.extensions)) return result;
  return { ...result, errors: errors.map(withoutHttpExtension) };
}

/**
 * An error as a graphql-ws client gets it: `extensions.http` (the status an
 * abuse-limit refusal asks of HTTP) is for yoga, which drops it from HTTP
 * answers; the socket would send it on. A copy: yoga may cache the original.
 */
function withoutHttpExtension(error: GraphQLError): GraphQLError {
  if (!('http' in error.extensions)) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, {
    ...(error.nodes && { nodes: error.nodes }), ...(error.source && { source: error.source }), ...(error.positions && { positions: error.positions }),
    ...(error.path && { path: error.path }), ...(error.originalError && { originalError: error.originalError }), extensions,
  });
}

/** The node request a SigV4 signature is checked against, with the body `route()` read (the same bytes yoga parses). */
function signedRequestOf(initial: InitialContext): SignedGatewayRequest | undefined {
  const req = initial.req;
  if (!req) return undefined;
  return { req, body: (req as IncomingMessage & { body?: Buffer }).body };
}

function headersOf(initial: InitialContext): Record<string, string> {
  const headers: Record<string, string> = {};
  if (initial.request) {
    initial.request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return headers;
  }
  for (const [key, value] of Object.entries(initial.req?.headers ?? {})) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  // graphql-ws clients send the token in connectionParams (browsers cannot set WebSocket headers).
  const params = initial.connectionParams ?? {};
  const auth = params.Authorization ?? params.authorization;
  if (typeof auth === 'string') headers.authorization = auth;
  return headers;
}

/** Reads a body up to `limit` bytes; undefined when it is larger (the rest is drained, not kept). */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Whether a query string percent-decodes to text (each escape well formed, the bytes UTF-8). */
function decodesToText(search: string): boolean {
  if (!search.includes('%')) return true;
  try {
    decodeURIComponent(search);
    return true;
  } catch {
    return false;
  }
}

function isMultipart(req: IncomingMessage): boolean {
  return /^\s*multipart\//i.test(req.headers['content-type'] ?? '');
}

/** GraphQL over HTTP's answer to a request that cannot be parsed: 400 and a request error. */
function sendBadRequest(res: ServerResponse, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: GATEWAY_ERROR_CODES.badRequest } }] });
  res.writeHead(400, { 'content-type': 'application/graphql-response+json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendTooLarge(res: ServerResponse, limit: number): void {
  const body = JSON.stringify({
    errors: [{
      message: `The request body must be at most ${limit} bytes (graphql.maxRequestBytes)`,
      extensions: { code: 'REQUEST_TOO_LARGE', limit },
    }],
  });
  res.writeHead(413, { 'content-type': 'application/graphql-response+json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}
