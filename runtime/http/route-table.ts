import { parseRouteKey, type ResolvedRoute, type RouteSegment } from '../config/index.js';
import { decodePathSegment } from './decode-path-segment.js';

/** A route that matched a request, with its path parameters (decoded). */
export interface RouteMatch {
  route: ResolvedRoute;
  pathParameters: Record<string, string> | undefined;
}

interface CompiledRoute {
  route: ResolvedRoute;
  segments: RouteSegment[];
  isDefault: boolean;
}

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

/**
 * REST routes in API Gateway's order of preference: the most specific path
 * wins (at the first segment where two routes differ, a literal beats
 * `{param}`, which beats `{proxy+}`), then a named method beats `ANY`, and
 * `$default` comes last. Built once; matching walks a short sorted list.
 */
export class RouteTable {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly ResolvedRoute[]) {
    this.#routes = routes.map((route) => {
      const parsed = parseRouteKey(route.key);
      // Keys were validated at start; an invalid one here is a bug.
      if (typeof parsed === 'string') throw new Error(`invalid route key ${route.key}: ${parsed}`);
      return { route, segments: parsed.segments, isDefault: parsed.isDefault };
    }).sort(compare);
  }

  get size(): number {
    return this.#routes.length;
  }

  /** The route for a method and path (without the prefix), or undefined. */
  match(method: string, rawPath: string): RouteMatch | undefined {
    const parts = rawPath === '/' || rawPath === '' ? [] : rawPath.slice(1).split('/');
    let decoded: string[] | undefined;
    for (const compiled of this.#routes) {
      const { route } = compiled;
      if (route.method !== 'ANY' && route.method !== method) continue;
      if (compiled.isDefault) return { route, pathParameters: undefined };
      decoded ??= parts.map(decodePathSegment);
      const params = matchSegments(compiled.segments, decoded);
      if (params) return { route, pathParameters: Object.keys(params).length > 0 ? params : undefined };
    }
    return undefined;
  }
}

function matchSegments(segments: RouteSegment[], parts: string[]): Record<string, string> | undefined {
  // Parameter names are the config's (`{__proto__}` is a valid one): own properties, never the prototype's.
  const params = Object.create(null) as Record<string, string>;
  for (const [i, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(i);
      // {proxy+} needs at least one non-empty segment, as API Gateway's does.
      if (rest.length === 0 || rest.join('') === '') return undefined;
      params[segment.name] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === '') return undefined;
    if (segment.kind === 'literal' ? part !== segment.value : false) return undefined;
    if (segment.kind === 'param') params[segment.name] = part;
  }
  return segments.length === parts.length ? params : undefined;
}

function compare(a: CompiledRoute, b: CompiledRoute): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? 1 : -1;
  // API Gateway tries every route that matches whole before any greedy one ({proxy+}).
  const greedyA = a.segments.some((s) => s.kind === 'greedy');
  const greedyB = b.segments.some((s) => s.kind === 'greedy');
  if (greedyA !== greedyB) return greedyA ? 1 : -1;
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (!x || !y) break;
    if (RANK[x.kind] !== RANK[y.kind]) return RANK[x.kind] - RANK[y.kind];
  }
  const anyA = a.route.method === 'ANY' ? 1 : 0;
  const anyB = b.route.method === 'ANY' ? 1 : 0;
  return anyA - anyB;
}
