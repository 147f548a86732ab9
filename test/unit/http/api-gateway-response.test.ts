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
});
