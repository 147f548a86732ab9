import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

const gzipAsync = promisify(gzip);

interface Rendered {
  html: Buffer;
  gzipped: Buffer;
  etag: string;
}

/**
 * GraphiQL for a browser's GET of `/graphql`. The bundled page (it works
 * offline; yoga's default loads its assets from a CDN) is 9 MB of HTML that
 * yoga would render on every request (~40 ms) and send uncompressed. It is
 * rendered and gzipped once, on first use (2.4 MB; zlib runs on libuv's
 * threads, not the event loop), and revalidated by ETag.
 */
export class GraphiqlPage {
  readonly #title: string;
  #rendered: Promise<Rendered> | undefined;

  constructor(title: string) {
    this.#title = title;
  }

  /** yoga's rule: a GET that accepts HTML is a browser asking for GraphiQL. */
  static wanted(req: IncomingMessage): boolean {
    return req.method === 'GET' && (req.headers.accept?.includes('text/html') ?? false);
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const page = await (this.#rendered ??= this.#render());
    const headers: Record<string, string | number> = {
      'content-type': 'text/html; charset=utf-8',
      etag: page.etag,
      // Revalidate each time: a new neolith version changes the page, and a 304 costs nothing.
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding',
    };
    if (req.headers['if-none-match'] === page.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const body = acceptsGzip(req) ? page.gzipped : page.html;
    if (body === page.gzipped) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers).end(body);
  }

  async #render(): Promise<Rendered> {
    const html = Buffer.from(renderGraphiQL({ title: this.#title }), 'utf8');
    const etag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`;
    return { html, gzipped: await gzipAsync(html), etag };
  }
}

/** `Accept-Encoding` names gzip with a quality above 0 (or `*`). */
function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (!header) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
