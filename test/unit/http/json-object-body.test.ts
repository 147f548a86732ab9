import { describe, expect, it } from 'vitest';
import { parseJsonObjectBody } from '../../../runtime/http/index.js';

describe('parseJsonObjectBody', () => {
  it('reads a JSON object, and an empty body as {}', () => {
    expect(parseJsonObjectBody(Buffer.from('{"a":"é","b":[1]}'))).toEqual({ a: 'é', b: [1] });
    expect(parseJsonObjectBody(Buffer.alloc(0))).toEqual({});
  });

  it.each([
    ['a lone continuation byte', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d])],
    ['a truncated sequence', Buffer.from('{"a":"\xc3"}', 'latin1')],
    ['an encoded surrogate', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])],
  ])('refuses %s rather than decoding it to U+FFFD', (_what, body) => {
    expect(() => parseJsonObjectBody(body)).toThrow(expect.objectContaining({
      name: 'InvalidRequestContentException',
      message: 'Could not parse request body into json: the body is not valid UTF-8',
    }));
  });

  it.each([['[1]'], ['null'], ['"text"'], ['3']])('refuses %s: not an object', (text) => {
    expect(() => parseJsonObjectBody(Buffer.from(text))).toThrow('Could not parse request body into json: the body must be a JSON object');
  });

  it('refuses malformed JSON with the parser’s reason', () => {
    expect(() => parseJsonObjectBody(Buffer.from('{"a":'))).toThrow(/^Could not parse request body into json: /);
  });
});
