import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { isLoopback } from '../auth/index.js';

/**
 * DNS rebinding: a web page re-points its own name at 127.0.0.1 and, being
 * then same-origin with this host, reads and drives it. Its requests still
 * carry the page's name in `Host`. A host listening on loopback therefore
 * answers only requests naming it by a loopback name, or by one the config
 * allows (`allowedHosts`); a host bound elsewhere requires auth instead.
 */
export class HostHeaderGuard {
  readonly #active: boolean;
  readonly #exact: ReadonlySet<string>;
  readonly #suffixes: readonly string[];

  constructor(bindHost: string, allowedHosts: readonly string[]) {
    this.#active = isLoopback(bindHost);
    this.#exact = new Set(allowedHosts.filter((h) => !h.startsWith('.')));
    this.#suffixes = allowedHosts.filter((h) => h.startsWith('.'));
  }

  /** Whether the request's `Host` may reach this host (a request without one is no browser's). */
  allows(req: IncomingMessage): boolean {
    if (!this.#active) return true;
    const header = req.headers.host;
    if (header === undefined) return true;
    const name = hostName(header);
    if (name === undefined) return false;
    if (name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name)) return true;
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
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(header.trim());
  if (!match) return undefined;
  return (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, '');
}
