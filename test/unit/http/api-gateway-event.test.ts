import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../../../runtime/http/index.js';

/** The parts of a request the event is built from. */
function request(rawHeaders: string[]): IncomingMessage {
  return { rawHeaders, method: 'GET', httpVersion: '1.1', socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
}

function eventOf(rawHeaders: string[], rawQueryString: string) {
  return apiGatewayEvent({
    req: request(rawHeaders), routeKey: 'GET /x', rawPath: '/x', rawQueryString, pathParameters: undefined,
    body: Buffer.alloc(0), requestId: 'r1', accountId: '111111111111', now: 0,
  });
}

describe('apiGatewayEvent: names from the client', () => {
  it('keeps query parameters named like Object.prototype members as the client sent them', () => {
    const event = eventOf(['Host', 'h'], 'constructor=x&toString=z&__proto__=y&hasOwnProperty=q&valueOf=1&valueOf=2');
    // (An object literal's `__proto__:` sets the prototype: the expected value is parsed, as the environment does.)
    expect(JSON.parse(JSON.stringify(event.queryStringParameters))).toEqual(
      JSON.parse('{"constructor":"x","toString":"z","__proto__":"y","hasOwnProperty":"q","valueOf":"1,2"}'),
    );
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(Object.hasOwn(event.queryStringParameters!, name), name).toBe(true);
    }
  });

  it('keeps headers named like Object.prototype members, repeated ones joined', () => {
    const event = eventOf(['Host', 'h', 'Constructor', 'c', '__proto__', 'p', 'hasOwnProperty', 'q', 'toString', 'a', 'toString', 'b'], '');
    const headers = JSON.parse(JSON.stringify(event.headers)) as Record<string, string>;
    expect(Object.hasOwn(headers, '__proto__')).toBe(true);
    expect(headers).toEqual(JSON.parse('{"host":"h","constructor":"c","__proto__":"p","hasownproperty":"q","tostring":"a,b"}'));
  });

  it('builds an event that survives the trip to the environment unchanged', () => {
    const event = eventOf(['Host', 'h', 'constructor', 'c'], 'constructor=x&a=1');
    const copy = JSON.parse(JSON.stringify(event)) as typeof event;
    expect(copy.headers).toEqual({ host: 'h', constructor: 'c' });
    expect(copy.queryStringParameters).toEqual({ constructor: 'x', a: '1' });
  });
});
