import { describe, expect, it } from 'vitest';
import type { ResolvedRoute } from '../../../runtime/config/index.js';
import { RouteTable } from '../../../runtime/http/index.js';

const route = (key: string): ResolvedRoute => {
  const [method, path] = key === '$default' ? ['ANY', '$default'] : key.split(' ') as [string, string];
  return { key, method, path, target: 'fn', invocation: 'RequestResponse', auth: 'none' };
};
const table = new RouteTable([
  '$default', 'ANY /files/{proxy+}', 'GET /files/{proxy+}', 'GET /files/special', 'GET /users/{id}', 'GET /users/me',
  'ANY /users/{id}', 'POST /users', 'GET /', 'GET /a/{x}/c', 'GET /a/b/{y}',
].map(route));
const keyOf = (method: string, path: string) => table.match(method, path)?.route.key;

describe('RouteTable', () => {
  it('prefers literals over parameters over greedy, named methods over ANY, $default last', () => {
    expect(keyOf('GET', '/users/me')).toBe('GET /users/me');
    expect(keyOf('GET', '/users/7')).toBe('GET /users/{id}');
    expect(keyOf('DELETE', '/users/7')).toBe('ANY /users/{id}');
    expect(keyOf('GET', '/files/special')).toBe('GET /files/special');
    expect(keyOf('GET', '/files/a/b')).toBe('GET /files/{proxy+}');
    expect(keyOf('PUT', '/files/a/b')).toBe('ANY /files/{proxy+}');
    expect(keyOf('GET', '/a/b/c')).toBe('GET /a/b/{y}');
    expect(keyOf('GET', '/')).toBe('GET /');
    expect(keyOf('GET', '/elsewhere')).toBe('$default');
  });

  it('tries every route that matches whole before any greedy one, whatever their first segments', () => {
    const routes = new RouteTable(['GET /pets/{proxy+}', 'GET /{section}/x'].map(route));
    expect(routes.match('GET', '/pets/x')?.route.key).toBe('GET /{section}/x');
    expect(routes.match('GET', '/pets/y')?.route.key).toBe('GET /pets/{proxy+}');
  });

  it('extracts decoded path parameters; a greedy one takes the rest of the path', () => {
    expect(table.match('GET', '/users/a%20b')?.pathParameters).toEqual({ id: 'a b' });
    expect(table.match('GET', '/files/x/y%2Fz/w')?.pathParameters).toEqual({ proxy: 'x/y/z/w' });
    expect(table.match('GET', '/users/me')?.pathParameters).toBeUndefined();
  });

  it('matches nothing for an empty greedy tail or empty segments without $default', () => {
    const strict = new RouteTable([route('GET /files/{proxy+}'), route('GET /users/{id}')]);
    expect(strict.match('GET', '/files')).toBeUndefined();
    expect(strict.match('GET', '/files/')).toBeUndefined();
    expect(strict.match('GET', '/users/')).toBeUndefined();
    expect(strict.match('POST', '/users/1')).toBeUndefined();
  });

  it('keeps a parameter named like an Object.prototype member as an own property', () => {
    const named = new RouteTable([route('GET /a/{__proto__}/{constructor}')]);
    const params = named.match('GET', '/a/x/y')?.pathParameters;
    expect(params && Object.keys(params)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(params)).toBe('{"__proto__":"x","constructor":"y"}');
  });

  it('refuses invalid percent-encoding with InvalidParameterValueException', () => {
    expect(() => table.match('GET', '/users/%E0%A4%A')).toThrow(expect.objectContaining({ code: 'InvalidParameterValueException' }));
  });
});
