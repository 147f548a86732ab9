import { isPlainObject, type ProblemList } from './problem-list.js';
import { parseRouteKey, routeShape } from './route-key.js';

/** Top-level keys this part validates. */
export const HTTP_TOP_LEVEL_KEYS = ['routes', 'routePrefix', 'cors', 'auth', 'allowedHosts', 'requestTimeoutMs'] as const;

const ROUTE_KEYS = ['function', 'invocation', 'auth'] as const;
const CORS_KEYS = ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'allowCredentials', 'maxAge'] as const;
const AUTH_KEYS = ['principals', 'permissions', 'anonymous', 'clockSkewSeconds', 'jwt'] as const;
const PRINCIPAL_KEYS = ['accessKeyId', 'secretAccessKey', 'account'] as const;
const JWT_KEYS = ['secret', 'jwksFile', 'issuer', 'audience'] as const;
const TARGET = /^[\w-]+(\/[\w-]+)?$/;
/** AWS access key ids: 16–128 word characters. */
const ACCESS_KEY_ID = /^\w{16,128}$/;

/**
 * Checks the shape of `routes`, `routePrefix`, `cors`, `auth`, `allowedHosts` and `requestTimeoutMs`: route keys
 * and conflicts, target syntax, principals and permissions. Whether targets
 * and principals exist is checked by `resolveHttpOptions`.
 */
export function validateHttp(p: ProblemList, raw: Record<string, unknown>): void {
  if (raw.routePrefix !== undefined && typeof raw.routePrefix === 'string' && raw.routePrefix !== '') {
    p.string('routePrefix', raw.routePrefix, /^(\/[A-Za-z0-9._~-]+)+$/, 'be "" or a path like "/api" (no trailing "/")');
  } else if (raw.routePrefix !== undefined && raw.routePrefix !== '') {
    p.add('routePrefix', 'be "" or a path like "/api" (no trailing "/")', raw.routePrefix);
  }
  if (raw.routes !== undefined) validateRoutes(p, raw.routes);
  if (raw.cors !== undefined && typeof raw.cors !== 'boolean') validateCors(p, raw.cors);
  if (raw.auth !== undefined) validateAuth(p, raw.auth);
  if (raw.allowedHosts !== undefined) validateAllowedHosts(p, raw.allowedHosts);
  // Under a second a slow but honest link cannot send a request; past Lambda's longest timeout it no longer guards anything.
  if (raw.requestTimeoutMs !== undefined) p.integer('requestTimeoutMs', raw.requestTimeoutMs, 1_000, 900_000);
}

/** A DNS name (letters, digits, hyphens, dots), or one with a leading dot for its subdomains. */
const HOST_NAME = /^\.?(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAX_ALLOWED_HOSTS = 100;

function validateAllowedHosts(p: ProblemList, hosts: unknown): void {
  if (!Array.isArray(hosts) || hosts.length > MAX_ALLOWED_HOSTS) {
    p.add('allowedHosts', `be an array of at most ${MAX_ALLOWED_HOSTS} host names`, hosts);
    return;
  }
  hosts.forEach((host, i) => p.string(`allowedHosts[${i}]`, host, HOST_NAME, 'be a host name ("myapp.test") or a leading-dot suffix (".myapp.test")'));
}

function validateRoutes(p: ProblemList, routes: unknown): void {
  if (!p.object('routes', routes)) return;
  const shapes = new Map<string, string>();
  for (const [key, value] of Object.entries(routes)) {
    const path = `routes["${key}"]`;
    const parsed = parseRouteKey(key);
    if (typeof parsed === 'string') {
      p.add(path, parsed, key);
    } else {
      const shape = routeShape(parsed);
      const other = shapes.get(shape);
      if (other !== undefined) p.add(path, `not conflict with routes["${other}"] (same method and path shape)`, key);
      else shapes.set(shape, key);
    }
    if (typeof value === 'string') {
      p.string(path, value, TARGET, 'name a function or a job ("users/getUser")');
      continue;
    }
    if (!isPlainObject(value)) {
      p.add(path, 'be a function name, a job address, or { function, invocation?, auth? }', value);
      continue;
    }
    p.knownKeys(path, value, ROUTE_KEYS);
    p.string(`${path}.function`, value.function, TARGET, 'name a function or a job ("users/getUser")');
    if (value.invocation !== undefined && value.invocation !== 'RequestResponse' && value.invocation !== 'Event') {
      p.add(`${path}.invocation`, 'be "RequestResponse" or "Event"', value.invocation);
    }
    if (value.auth !== undefined && value.auth !== 'none' && value.auth !== 'iam' && value.auth !== 'jwt') {
      p.add(`${path}.auth`, 'be "none", "iam" or "jwt"', value.auth);
    }
  }
}

function validateCors(p: ProblemList, cors: unknown): void {
  if (!isPlainObject(cors)) {
    p.add('cors', 'be true, false or an object', cors);
    return;
  }
  p.knownKeys('cors', cors, CORS_KEYS);
  for (const key of ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders'] as const) {
    const list = cors[key];
    if (list !== undefined && (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v.length === 0))) {
      p.add(`cors.${key}`, 'be an array of non-empty strings', list);
    }
  }
  if (cors.allowCredentials !== undefined && typeof cors.allowCredentials !== 'boolean') p.add('cors.allowCredentials', 'be true or false', cors.allowCredentials);
  if (cors.maxAge !== undefined) p.integer('cors.maxAge', cors.maxAge, 0, 86400);
  const origins = cors.allowOrigins;
  if (cors.allowCredentials === true && (origins === undefined || (Array.isArray(origins) && origins.includes('*')))) {
    p.add('cors.allowOrigins', 'list explicit origins when allowCredentials is true (browsers refuse "*" with credentials)', origins ?? ['*']);
  }
}

function validateAuth(p: ProblemList, auth: unknown): void {
  if (!p.object('auth', auth)) return;
  p.knownKeys('auth', auth, AUTH_KEYS);
  if (auth.anonymous !== undefined && !['loopback-only', 'deny', 'allow'].includes(auth.anonymous as string)) {
    p.add('auth.anonymous', 'be "loopback-only", "deny" or "allow"', auth.anonymous);
  }
  if (auth.clockSkewSeconds !== undefined) p.integer('auth.clockSkewSeconds', auth.clockSkewSeconds, 1, 3600);
  const names = new Set<string>();
  if (auth.principals !== undefined && p.object('auth.principals', auth.principals)) {
    for (const [name, principal] of Object.entries(auth.principals)) {
      const path = `auth.principals.${name}`;
      names.add(name);
      if (!/^[\w+=,.@-]{1,64}$/.test(name) || name === '*') p.add(path, 'have a name of 1–64 letters, digits or +=,.@_-', name);
      if (!p.object(path, principal)) continue;
      p.knownKeys(path, principal, PRINCIPAL_KEYS);
      secret(p, `${path}.accessKeyId`, principal.accessKeyId, ACCESS_KEY_ID, 'be 16–128 letters, digits or "_"');
      secret(p, `${path}.secretAccessKey`, principal.secretAccessKey);
      if (principal.account !== undefined) p.string(`${path}.account`, principal.account, /^\d{12}$/, 'be 12 digits');
    }
  }
  if (auth.permissions !== undefined && p.object('auth.permissions', auth.permissions)) {
    for (const [target, who] of Object.entries(auth.permissions)) {
      const path = `auth.permissions["${target}"]`;
      if (target !== '*' && !TARGET.test(target)) p.add(path, 'be keyed by a function name, a job address or "*"', target);
      if (!Array.isArray(who) || who.some((w) => typeof w !== 'string')) {
        p.add(path, 'be an array of principal names, "*" or 12-digit account ids', who);
        continue;
      }
      for (const w of who as string[]) {
        if (w !== '*' && !/^\d{12}$/.test(w) && !names.has(w)) p.add(path, 'name principals defined in auth.principals, "*" or a 12-digit account id', w);
      }
    }
  }
  if (auth.jwt !== undefined && p.object('auth.jwt', auth.jwt)) {
    const jwt = auth.jwt;
    p.knownKeys('auth.jwt', jwt, JWT_KEYS);
    if ((jwt.secret === undefined) === (jwt.jwksFile === undefined)) p.add('auth.jwt', 'set exactly one of secret (HS256) or jwksFile', Object.keys(jwt));
    if (jwt.secret !== undefined) secret(p, 'auth.jwt.secret', jwt.secret);
    if (jwt.jwksFile !== undefined) p.string('auth.jwt.jwksFile', jwt.jwksFile);
    if (jwt.issuer !== undefined) p.string('auth.jwt.issuer', jwt.issuer);
    if (jwt.audience !== undefined) {
      const list = Array.isArray(jwt.audience) ? jwt.audience : [jwt.audience];
      if (list.length === 0 || list.some((a) => typeof a !== 'string' || a.length === 0)) {
        p.add('auth.jwt.audience', 'be a non-empty string or array of non-empty strings', jwt.audience);
      }
    }
  }
}

/** A string, or `{ env: "NAME" }` naming an environment variable read at start. */
function secret(p: ProblemList, path: string, value: unknown, pattern?: RegExp, rule?: string): void {
  if (isPlainObject(value)) {
    p.knownKeys(path, value, ['env']);
    p.string(`${path}.env`, value.env, /^[A-Za-z_][A-Za-z0-9_]*$/, 'be an environment variable name');
    return;
  }
  if (typeof value !== 'string') {
    p.add(path, 'be a string or { env: "VARIABLE" }', value === undefined ? value : typeof value);
    return;
  }
  // Never echo a secret back in an error message.
  if (value.length === 0 || (pattern && !pattern.test(value))) p.add(path, rule ?? 'be a non-empty string', pattern ? value : '(hidden)');
}
