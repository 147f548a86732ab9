import type { IncomingMessage } from 'node:http';
import type { ResolvedCors } from '../config/index.js';

/**
 * API Gateway HTTP API's CORS: preflights are answered by the gateway
 * without invoking anything; other responses to an allowed origin carry the
 * allow/expose headers (overriding any the function set).
 */
export class CorsPolicy {
  readonly #cors: ResolvedCors;
  readonly #anyOrigin: boolean;
  readonly #methods: string;
  readonly #headers: string;

  constructor(cors: ResolvedCors) {
    this.#cors = cors;
    this.#anyOrigin = cors.allowOrigins.includes('*');
    this.#methods = cors.allowMethods.join(',');
    this.#headers = cors.allowHeaders.join(',');
  }

  /** Whether the request is a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method). */
  isPreflight(req: IncomingMessage): boolean {
    return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
  }

  /** Headers answering a preflight; none when the origin or method is not allowed (the browser then refuses). */
  preflightHeaders(req: IncomingMessage): Record<string, string> {
    const origin = this.#allowedOrigin(req.headers.origin);
    const method = String(req.headers['access-control-request-method']).toUpperCase();
    if (!origin || !(this.#cors.allowMethods.includes(method) || this.#cors.allowMethods.includes('*'))) return { vary: 'origin' };
    const headers: Record<string, string> = {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': this.#methods,
      vary: 'origin',
    };
    if (this.#headers) headers['access-control-allow-headers'] = this.#headers;
    if (this.#cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (this.#cors.maxAge > 0) headers['access-control-max-age'] = String(this.#cors.maxAge);
    return headers;
  }

  /** Headers added to an actual (non-preflight) response. */
  responseHeaders(req: IncomingMessage): Record<string, string> {
    const origin = this.#allowedOrigin(req.headers.origin);
    if (!origin) return {};
    const headers: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'origin' };
    if (this.#cors.exposeHeaders.length > 0) headers['access-control-expose-headers'] = this.#cors.exposeHeaders.join(',');
    if (this.#cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    return headers;
  }

  #allowedOrigin(origin: string | undefined): string | undefined {
    if (origin === undefined) return undefined;
    if (this.#cors.allowOrigins.includes(origin)) return origin;
    // "*" is echoed as "*" unless credentials are allowed (then config validation demanded explicit origins).
    return this.#anyOrigin ? '*' : undefined;
  }
}
