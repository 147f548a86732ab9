import { describe, expect, it } from 'vitest';
import { gatewayResponse, MalformedResponseError } from '../../../runtime/http/index.js';

const text = (r: { body: Buffer }) => r.body.toString('utf8');

describe('gatewayResponse (payload format 2.0)', () => {
  it('infers a 200 application/json response from a value without statusCode', () => {
    for (const [payload, body] of [['{"a":1}', '{"a":1}'], ['"hi"', 'hi'], ['[1,2]', '[1,2]'], ['null', 'null'], ['42', '42']]) {
      const r = gatewayResponse(payload!);
      expect(r).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [] });
      expect(text(r)).toBe(body);
    }
  });

  it('uses statusCode, headers (lower-cased, stringified), cookies and body', () => {
    const r = gatewayResponse(JSON.stringify({ statusCode: 302, headers: { Location: '/x', 'X-N': 5, 'X-B': true }, cookies: ['a=1'], body: 'moved' }));
    expect(r).toMatchObject({ statusCode: 302, headers: { location: '/x', 'x-n': '5', 'x-b': 'true', 'content-type': 'application/json' }, cookies: ['a=1'] });
    expect(text(r)).toBe('moved');
  });

  it('decodes a base64 body, and sends an object body as JSON', () => {
    expect(gatewayResponse(JSON.stringify({ statusCode: 200, body: Buffer.from([1, 2, 255]).toString('base64'), isBase64Encoded: true })).body)
      .toEqual(Buffer.from([1, 2, 255]));
    expect(text(gatewayResponse(JSON.stringify({ statusCode: 200, body: { ok: true } })))).toBe('{"ok":true}');
    expect(gatewayResponse(JSON.stringify({ statusCode: 204 })).body.length).toBe(0);
  });

  it('refuses malformed responses', () => {
    for (const bad of [{ statusCode: '200' }, { statusCode: 99 }, { statusCode: 200.5 }, { statusCode: 200, headers: [] }, { statusCode: 200, headers: { a: {} } }, { statusCode: 200, cookies: 'a=1' }]) {
      expect(() => gatewayResponse(JSON.stringify(bad)), JSON.stringify(bad)).toThrow(MalformedResponseError);
    }
    expect(() => gatewayResponse('{not json')).toThrow(MalformedResponseError);
  });

  it('refuses a status that is not a final response Node can send: 1xx, 600 and up', () => {
    for (const statusCode of [100, 101, 103, 199, 600, 999, 1000]) {
      expect(() => gatewayResponse(JSON.stringify({ statusCode, body: 'x' })), String(statusCode)).toThrow(MalformedResponseError);
    }
    for (const statusCode of [200, 204, 301, 404, 599]) expect(gatewayResponse(JSON.stringify({ statusCode })).statusCode).toBe(statusCode);
  });

  it('refuses header names and values, and cookies, that HTTP cannot carry (no header injection)', () => {
    const bad: unknown[] = [
      { statusCode: 200, headers: { 'x-a': 'a\r\nSet-Cookie: evil=1' } },
      { statusCode: 200, headers: { 'x-a': 'a\nb' } },
      { statusCode: 200, headers: { 'x-a': 'nul\u0000' } },
      { statusCode: 200, headers: { 'x-a': '€' } },
      { statusCode: 200, headers: { 'bad name': 'v' } },
      { statusCode: 200, headers: { 'x:y': 'v' } },
      { statusCode: 200, headers: { '': 'v' } },
      { statusCode: 200, cookies: ['a=1\r\nx: y'] },
      { statusCode: 200, cookies: ['ok=1', 'b=\n'] },
    ];
    for (const response of bad) {
      expect(() => gatewayResponse(JSON.stringify(response)), JSON.stringify(response)).toThrow(MalformedResponseError);
    }
    // Latin-1 text and tabs are legal header content.
    expect(gatewayResponse(JSON.stringify({ statusCode: 200, headers: { 'x-a': 'caf\u00e9\tok' } })).headers['x-a']).toBe('café\tok');
  });

  it('drops the hop-by-hop headers the gateway sets itself, keeping the rest', () => {
    const r = gatewayResponse(JSON.stringify({
      statusCode: 200,
      headers: { 'Transfer-Encoding': 'chunked', connection: 'close', 'Keep-Alive': 'timeout=5', upgrade: 'websocket', te: 'trailers', trailer: 'x', 'proxy-connection': 'x', 'x-kept': 'yes' },
      body: 'hello',
    }));
    expect({ ...r.headers }).toEqual({ 'x-kept': 'yes', 'content-type': 'application/json' });
    expect(text(r)).toBe('hello');
  });

  it('keeps a header named like an Object.prototype member', () => {
    const r = gatewayResponse('{"statusCode":200,"headers":{"__proto__":"p","constructor":"c"}}');
    expect(Object.hasOwn(r.headers, '__proto__')).toBe(true);
    expect(r.headers.constructor).toBe('c');
  });
});
