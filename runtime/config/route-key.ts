/** One segment of a route path pattern. */
export type RouteSegment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

/** A parsed route key (`"GET /users/{id}"`). `segments` is empty for `/` and for `$default`. */
export interface ParsedRouteKey {
  method: string;
  path: string;
  segments: RouteSegment[];
  /** The `$default` catch-all route. */
  isDefault: boolean;
}

/** API Gateway's route methods. */
export const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;

const PARAM = /^\{([A-Za-z0-9._-]+)(\+)?\}$/;
/** RFC 3986 pchar without percent-encoding: what a literal path segment may hold. */
const LITERAL = /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/;

/**
 * Parses a route key the way API Gateway HTTP APIs accept them; returns the
 * rule broken as a string when it is not valid.
 */
export function parseRouteKey(key: string): ParsedRouteKey | string {
  if (key === '$default') return { method: 'ANY', path: '$default', segments: [], isDefault: true };
  const match = /^([A-Z]+) (\/\S*)$/.exec(key);
  if (!match) return 'be "$default" or "METHOD /path" (one space, method in upper case)';
  const [, method = '', path = ''] = match;
  if (!(ROUTE_METHODS as readonly string[]).includes(method)) return `use one of the methods ${ROUTE_METHODS.join(', ')}`;
  if (path === '/') return { method, path, segments: [], isDefault: false };
  if (path.endsWith('/')) return 'have a path without a trailing "/"';
  const segments: RouteSegment[] = [];
  const names = new Set<string>();
  const parts = path.slice(1).split('/');
  for (const [i, part] of parts.entries()) {
    if (part === '') return 'have no empty path segment ("//")';
    const param = PARAM.exec(part);
    if (param) {
      const name = param[1]!;
      if (names.has(name)) return `use each path parameter once ({${name}} repeats)`;
      names.add(name);
      if (param[2]) {
        if (i !== parts.length - 1) return `have the greedy parameter {${name}+} as the last segment only`;
        segments.push({ kind: 'greedy', name });
      } else {
        segments.push({ kind: 'param', name });
      }
      continue;
    }
    if (part.includes('{') || part.includes('}')) return `have parameters as whole segments ("{name}" or "{name+}"), not ${JSON.stringify(part)}`;
    if (!LITERAL.test(part)) return `have path segments of URL-safe characters only (got ${JSON.stringify(part)})`;
    segments.push({ kind: 'literal', value: part });
  }
  return { method, path, segments, isDefault: false };
}

/**
 * The shape two routes collide on: same method, and the same literals and
 * parameter kinds in the same places (`/users/{id}` and `/users/{name}`).
 */
export function routeShape(route: ParsedRouteKey): string {
  if (route.isDefault) return '$default';
  const segs = route.segments.map((s) => (s.kind === 'literal' ? `=${s.value}` : s.kind === 'param' ? '{}' : '{+}'));
  return `${route.method} /${segs.join('/')}`;
}
