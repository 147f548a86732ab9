import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { isLoopback } from '../auth/index.js';

/**
 * DNS rebinding: a web page re-points its own name at 127.0.0.1 and, being
 * then same-origin with this host, reads and drives it. Its requests still
 * carry the page's name in `Host`. So a request that reaches the host from
 * loopback, or any request to a host listening on loopback, must name it by
 * a loopback name, `host.docker.internal`, or one the config allows
 * (`allowedHosts`). (Loopback callers need no signature under the default
 * `auth.anonymous`, which is what a rebound page would be.) Other machines'
 * requests to a host bound elsewhere are left to auth.
 */
export class HostHeaderGuard {
  readonly #loopbackBind: boolean;
  readonly #exact: ReadonlySet<string>;
  readonly #suffixes: readonly string[];

  constructor(bindHost: string, allowedHosts: readonly string[]) {
    this.#loopbackBind = isLoopback(bindHost);
    this.#exact = new Set(allowedHosts.filter((h) => !h.startsWith('.')));
    this.#suffixes = allowedHosts.filter((h) => h.startsWith('.'));
  }

  /** Whether the request's `Host` may reach this host (a request without one is no browser's). */
  allows(req: IncomingMessage): boolean {
    if (!this.#loopbackBind && !isLoopback(req.socket?.remoteAddress)) return true;
    const header = req.headers.host;
    if (header === undefined) return true;
    const name = hostName(header);
    if (name === undefined) return false;
    // host.docker.internal: a container's way to this machine; no browser page can send it as its own name.
    if (name === 'localhost' || name.endsWith('.localhost') || name === 'host.docker.internal' || isLoopbackAddress(name)) return true;
    return this.#exact.has(name) || this.#suffixes.some((suffix) => name.endsWith(suffix) || name === suffix.slice(1));
  }
}

/** A loopback IP literal; a name that merely starts with "127." (`127.0.0.1.evil.example`) is not one. */
function isLoopbackAddress(name: string): boolean {
  if (isIPv4(name)) return name.startsWith('127.');
  return isIPv6(name) && (name === '::1' || /^::ffff:127\./.test(name));
}

/** The name of a `Host` header (`name[:port]`, `[v6]:port`), lower case; undefined when malformed. */
function hostName(header: string): string | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::\d{1,5})?$/.exec(header.trim());
  if (!match) return undefined;
  return (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, '');
}
