import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../runtime/config/index.js';
import { ConfigError } from '../../../runtime/errors/index.js';

const handlers = resolve(import.meta.dirname, '../../fixtures/handlers');
const base = { functions: { echo: { handler: './echo.mjs' }, other: { handler: './echo.mjs' } } };

function problemsOf(config: Record<string, unknown>, env?: NodeJS.ProcessEnv): string[] {
  const saved = { ...process.env };
  try {
    if (env) Object.assign(process.env, env);
    resolveConfig({ ...base, ...config }, handlers);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  } finally {
    process.env = saved;
  }
  return [];
}

describe('routes, cors and auth config', () => {
  it('resolves routes with their defaults and the /api prefix', () => {
    const config = resolveConfig({ ...base, routes: { 'GET /x/{id}': 'echo', 'POST /y': { function: 'other', invocation: 'Event', auth: 'none' } } }, handlers);
    expect(config.http).toEqual({
      routePrefix: '/api',
      allowedHosts: [],
      requestTimeoutMs: 30_000,
      routes: [
        { key: 'GET /x/{id}', method: 'GET', path: '/x/{id}', target: 'echo', invocation: 'RequestResponse', auth: 'none' },
        { key: 'POST /y', method: 'POST', path: '/y', target: 'other', invocation: 'Event', auth: 'none' },
      ],
    });
  });

  it('takes allowedHosts as host names or leading-dot suffixes, lower-cased, and refuses anything else', () => {
    expect(resolveConfig({ ...base, allowedHosts: ['MyApp.test', '.dev.example'] }, handlers).http.allowedHosts).toEqual(['myapp.test', '.dev.example']);
    for (const bad of ['http://x.test', 'x.test:4000', '*.x.test', '', 'a b', '-x.test', 'x..test']) {
      expect(() => resolveConfig({ ...base, allowedHosts: [bad] }, handlers), bad).toThrow('allowedHosts[0] must be a host name ("myapp.test") or a leading-dot suffix (".myapp.test")');
    }
    expect(() => resolveConfig({ ...base, allowedHosts: 'x.test' as never }, handlers)).toThrow('allowedHosts must be an array of at most 100 host names');
  });

  it('takes requestTimeoutMs as an integer from 1000 to 900000 ms, and refuses anything else', () => {
    expect(resolveConfig({ ...base, requestTimeoutMs: 1_000 }, handlers).http.requestTimeoutMs).toBe(1_000);
    expect(resolveConfig({ ...base, requestTimeoutMs: 900_000 }, handlers).http.requestTimeoutMs).toBe(900_000);
    for (const [bad, shown] of [[999, '999'], [900_001, '900001'], [0, '0'], [1500.5, '1500.5'], ['30000', '"30000"'], [null, 'null']] as const) {
      expect(problemsOf({ requestTimeoutMs: bad }), String(bad)).toEqual([`requestTimeoutMs must be an integer from 1000 to 900000 (got ${shown})`]);
    }
  });

  it.each([
    [{ 'get /x': 'echo' }, 'routes["get /x"] must be "$default" or "METHOD /path"'],
    [{ 'FETCH /x': 'echo' }, 'routes["FETCH /x"] must use one of the methods'],
    [{ 'GET /x/': 'echo' }, 'must have a path without a trailing "/"'],
    [{ 'GET /a//b': 'echo' }, 'must have no empty path segment'],
    [{ 'GET /{p+}/x': 'echo' }, 'must have the greedy parameter {p+} as the last segment only'],
    [{ 'GET /a{b}': 'echo' }, 'must have parameters as whole segments'],
    [{ 'GET /{a}/{a}': 'echo' }, 'must use each path parameter once'],
    [{ 'GET /u/{id}': 'echo', 'GET /u/{name}': 'other' }, 'routes["GET /u/{name}"] must not conflict with routes["GET /u/{id}"]'],
    [{ 'GET /x': 'nope' }, 'routes["GET /x"] must name an existing function or job (got "nope")'],
    [{ 'GET /x': '../etc' }, 'routes["GET /x"] must name a function or a job'],
    [{ 'GET /x': { function: 'echo', invocation: 'DryRun' } }, 'routes["GET /x"].invocation must be "RequestResponse" or "Event"'],
    [{ 'GET /x': { function: 'echo', auth: 'iam' } }, 'routes["GET /x"].auth must be "iam" only when the auth section defines principals'],
    [{ 'GET /x': { function: 'echo', auth: 'jwt' } }, 'routes["GET /x"].auth must be "jwt" only when auth.jwt is set'],
    [{ 'GET /x': { function: 'echo', method: 'GET' } }, 'routes["GET /x"].method is not a known option'],
  ])('reports route problems with their path: %j', (routes, problem) => {
    expect(problemsOf({ routes }).join('\n')).toContain(problem);
  });

  it('reports a bad prefix and bad CORS options', () => {
    expect(problemsOf({ routePrefix: 'api/' })).toEqual(['routePrefix must be "" or a path like "/api" (no trailing "/") (got "api/")']);
    expect(problemsOf({ cors: { allowCredentials: true } })[0]).toContain('cors.allowOrigins must list explicit origins when allowCredentials is true');
    expect(problemsOf({ cors: { maxAge: -1 } })[0]).toContain('cors.maxAge must be an integer from 0 to 86400');
    expect(problemsOf({ cors: 'yes' })[0]).toContain('cors must be true, false or an object');
  });

  it('reports auth problems without echoing secrets', () => {
    const problems = problemsOf({
      auth: {
        anonymous: 'sometimes',
        principals: {
          a: { accessKeyId: 'short', secretAccessKey: '' },
          b: { accessKeyId: 'AKIAB0000000000000001', secretAccessKey: { env: 'NEOLITH_UNSET_FOR_TEST' } },
          c: { accessKeyId: 'AKIAB0000000000000001', secretAccessKey: 's', account: '12' },
        },
        permissions: { echo: ['zed'], nope: ['b'] },
      },
    });
    expect(problems).toEqual(expect.arrayContaining([
      'auth.anonymous must be "loopback-only", "deny" or "allow" (got "sometimes")',
      'auth.principals.a.accessKeyId must be 16–128 letters, digits or "_" (got "short")',
      'auth.principals.a.secretAccessKey must be a non-empty string (got "(hidden)")',
      'auth.principals.c.account must be 12 digits (got "12")',
      'auth.permissions["echo"] must name principals defined in auth.principals, "*" or a 12-digit account id (got "zed")',
    ]));
    const resolved = problemsOf({
      auth: {
        principals: {
          b: { accessKeyId: 'AKIAB0000000000000001', secretAccessKey: { env: 'NEOLITH_UNSET_FOR_TEST' } },
          c: { accessKeyId: 'AKIAC0000000000000001', secretAccessKey: 's' },
          d: { accessKeyId: 'AKIAC0000000000000001', secretAccessKey: 's' },
        },
        permissions: { nope: ['b'] },
      },
    });
    expect(resolved).toEqual(expect.arrayContaining([
      'auth.principals.b.secretAccessKey.env must name an environment variable that is set (got "NEOLITH_UNSET_FOR_TEST")',
      'auth.principals.d.accessKeyId must differ from the key of auth.principals.c (got "AKIAC0000000000000001")',
      'auth.permissions["nope"] must be keyed by an existing function or job (got "nope")',
    ]));
  });

  it('reads secrets from the environment and fills auth defaults', () => {
    const saved = process.env.NEOLITH_TEST_SECRET;
    process.env.NEOLITH_TEST_SECRET = 'from-env';
    try {
      const config = resolveConfig({ ...base, accountId: '123456789012', auth: { principals: { a: { accessKeyId: 'AKIAA0000000000000001', secretAccessKey: { env: 'NEOLITH_TEST_SECRET' } } } } }, handlers);
      expect(config.http.auth).toEqual({
        principals: [{ name: 'a', accessKeyId: 'AKIAA0000000000000001', secretAccessKey: 'from-env', accountId: '123456789012' }],
        permissions: {}, anonymous: 'loopback-only', clockSkewSeconds: 300,
      });
    } finally {
      if (saved === undefined) delete process.env.NEOLITH_TEST_SECRET;
      else process.env.NEOLITH_TEST_SECRET = saved;
    }
  });
});
