// The bounds on a function's error payload, in-process: sizes counted as the Invoke API's body
// (JSON.stringify of the payload, in UTF-8) counts them, at the exact limit and one byte past it.
import { describe, expect, it } from 'vitest';
import { boundErrorPayload, MAX_ERROR_TYPE_CHARS, payloadJsonBytes } from '../../../runtime/environment/error-payload.js';
import type { LambdaErrorPayload } from '../../../runtime/environment/index.js';

const bodyBytes = (error: LambdaErrorPayload): number => Buffer.byteLength(JSON.stringify(error));

/** An error whose body is exactly `bytes` bytes, made of `char` (a one-byte character). */
function sized(bytes: number, char = 'x'): LambdaErrorPayload {
  const frame = bodyBytes({ errorType: 'Sized', errorMessage: '', trace: ['at line'] });
  return { errorType: 'Sized', errorMessage: char.repeat(bytes - frame), trace: ['at line'] };
}

describe('payloadJsonBytes counts the UTF-8 bytes of the JSON the Invoke API sends', () => {
  it.each([
    ['plain ASCII', 'plain text'],
    ['quotes and backslashes', 'say "hi" \\ bye'],
    ['short escapes', 'a\nb\tc\rd\be\ff'],
    ['\\u escapes', '\u0000\u0001\u001f'],
    ['DEL, kept as it is', 'a\u007fb'],
    ['two-byte characters', 'éàü'],
    ['three-byte characters', '€漢字'],
    ['surrogate pairs', '😀🎉'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', 'a\udc00b'],
    ['a high surrogate at the end', 'ab\ud83d'],
    ['the empty string', ''],
  ])('%s', (_, text) => {
    for (const trace of [[], [text], [text, '', text]]) {
      const error = { errorType: text, errorMessage: text, trace };
      expect(payloadJsonBytes(error.errorType, error.errorMessage, error.trace)).toBe(bodyBytes(error));
    }
  });

  it('counts a long text with something to escape character by character, exactly', () => {
    const text = `${'x'.repeat(100_000)}"\n${'é'.repeat(10_000)}\ud800`;
    expect(payloadJsonBytes('Error', text, [text])).toBe(bodyBytes({ errorType: 'Error', errorMessage: text, trace: [text] }));
  });
});

describe('boundErrorPayload', () => {
  const limit = 10_000;

  it('returns an error of ordinary size itself, untouched', () => {
    const error: LambdaErrorPayload = { errorType: 'TypeError', errorMessage: 'bad input', trace: ['TypeError: bad input', '    at handler (file:///h.mjs:1:1)'] };
    expect(boundErrorPayload(error, 6 * 1024 * 1024)).toBe(error);
  });

  it('keeps an error whose body is exactly the limit, whole', () => {
    const error = sized(limit);
    expect(bodyBytes(error)).toBe(limit);
    expect(boundErrorPayload(error, limit)).toBe(error);
  });

  it('counts bytes, not characters: multi-byte text under the limit is kept, escapes past it are not', () => {
    const frame = bodyBytes({ errorType: 'Sized', errorMessage: '', trace: [] });
    const error: LambdaErrorPayload = { errorType: 'Sized', errorMessage: '€'.repeat((limit - frame) / 3), trace: [] };
    expect(bodyBytes(error)).toBe(limit - ((limit - frame) % 3));
    expect(boundErrorPayload(error, limit)).toBe(error);
    // The same bytes as escapes: one over.
    const escaped: LambdaErrorPayload = { errorType: 'Sized', errorMessage: `${'"'.repeat((limit - frame) / 2)}\n`, trace: [] };
    expect(bodyBytes(escaped)).toBeGreaterThan(limit);
    expect(boundErrorPayload(escaped, limit).errorType).toBe('Function.ResponseSizeTooLarge');
  });

  it('replaces one a byte over the limit with Function.ResponseSizeTooLarge, saying how big it was', () => {
    const bounded = boundErrorPayload(sized(limit + 1), limit);
    expect(bounded).toEqual({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size exceeded maximum allowed payload size (${limit} bytes): the function's error (Sized) is ${limit + 1} bytes.`,
      trace: [],
    });
  });

  it('counts the stack: a short message with a giant trace is replaced too', () => {
    const trace = ['Error: short', ...Array.from({ length: 2_000 }, (_, i) => `    at frame${i} (file:///h.mjs:1:1)`)];
    const error: LambdaErrorPayload = { errorType: 'Error', errorMessage: 'short', trace };
    const bounded = boundErrorPayload(error, limit);
    expect(bounded.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(bounded.errorMessage).toContain(`is ${bodyBytes(error)} bytes.`);
  });

  it(`cuts a giant errorType to ${MAX_ERROR_TYPE_CHARS} characters, keeping the rest of the error`, () => {
    const error: LambdaErrorPayload = { errorType: 'T'.repeat(1_000_000), errorMessage: 'typed', trace: ['Error: typed'] };
    expect(boundErrorPayload(error, 6 * 1024 * 1024)).toEqual({ errorType: 'T'.repeat(MAX_ERROR_TYPE_CHARS), errorMessage: 'typed', trace: ['Error: typed'] });
    // Cut first: a giant type alone never makes the error too large, and the replacement names the cut type.
    const both = boundErrorPayload({ ...error, errorMessage: 'x'.repeat(limit) }, limit);
    expect(both.errorMessage).toContain(`the function's error (${'T'.repeat(MAX_ERROR_TYPE_CHARS)}) is`);
  });

  it('never cuts a surrogate pair in half', () => {
    const errorType = `${'T'.repeat(MAX_ERROR_TYPE_CHARS - 1)}😀${'T'.repeat(10)}`;
    const bounded = boundErrorPayload({ errorType, errorMessage: 'm', trace: [] }, limit);
    expect(bounded.errorType).toBe('T'.repeat(MAX_ERROR_TYPE_CHARS - 1));
    expect(JSON.stringify(bounded)).not.toMatch(/\\ud/);
  });

  it('bounds an 8 MB message to a payload of a few hundred bytes', () => {
    const message = 'x'.repeat(8e6);
    const error: LambdaErrorPayload = { errorType: 'Error', errorMessage: message, trace: [`Error: ${message}`, '    at handler (file:///h.mjs:1:1)'] };
    const bounded = boundErrorPayload(error, 6 * 1024 * 1024);
    expect(bounded.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(bounded.errorMessage).toContain(`the function's error (Error) is ${bodyBytes(error)} bytes.`);
    expect(bodyBytes(bounded)).toBeLessThan(300);
  });
});
