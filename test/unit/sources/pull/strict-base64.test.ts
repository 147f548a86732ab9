/** Kinesis record data must arrive as standard, padded base64: anything else is refused, not decoded into other bytes. */
import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '../../../../runtime/errors/index.js';
import { decodeStrictBase64 } from '../../../../runtime/sources/pull/strict-base64.js';

describe('decodeStrictBase64', () => {
  it('decodes standard padded base64, every byte value and the empty blob included', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (let n = 0; n <= 5; n++) expect(decodeStrictBase64(bytes.subarray(0, n).toString('base64'), 'data')).toEqual(bytes.subarray(0, n));
    expect(decodeStrictBase64(bytes.toString('base64'), 'data')).toEqual(bytes);
    expect(decodeStrictBase64('+/+/', 'data')).toEqual(Buffer.from([0xfb, 0xff, 0xbf]));
  });

  it.each([
    ['characters outside the alphabet', '!!!'],
    ['a character outside the alphabet among valid ones', 'YW*j'],
    ['missing padding', 'YQ'],
    ['base64url', '-_-_'],
    ['whitespace', 'YW Jj'],
    ['a line break', 'YWJj\n'],
    ['padding in the middle', 'YQ==YQ=='],
    ['too much padding', 'YQ==='],
    ['set padding bits', 'YR=='],
    ['a lone padding', '='],
  ])('refuses %s', (_, text) => {
    const call = () => decodeStrictBase64(text, 'records[3].data');
    expect(call).toThrow(InvalidParameterValueError);
    expect(call).toThrow(`records[3].data must be standard base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters; base64url and whitespace are not accepted) (got ${JSON.stringify(text)})`);
  });
});
