/** A "." or ".." path segment, percent-encoded or not, or a backslash (a URL reads it as "/"). */
const RESOLVED_AWAY = /(^|\/)(\.|%2e){1,2}(\/|$)|\\/i;

/**
 * The path of a request target as sent: the origin form's path, or the
 * absolute form's (`http://host/a/b` → `/a/b`), without the query.
 */
export function rawPathOf(target: string): string {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (path.startsWith('/')) return path;
  // RFC 9112 §3.2.2: a server accepts the absolute form; its path is what follows the authority.
  const afterAuthority = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(.*)$/i.exec(path)?.[1];
  return afterAuthority ? afterAuthority : '/';
}

/**
 * Whether a raw path holds what a URL resolves away before routing: the
 * routed (resolved) path is then not the one the client sent, and a route
 * that hands the raw path on (REST routes, bucket keys) would act on another.
 */
export function resolvesAway(rawPath: string): boolean {
  return RESOLVED_AWAY.test(rawPath);
}
