import { describe, expect, it } from 'vitest';
import { cjsonSafeJson } from '../../../../runtime/backend/redis/cjson-safe-json.js';

describe('cjsonSafeJson', () => {
  it('writes a lone surrogate as U+FFFD, never as the \\ud800 escape Redis\'s cjson refuses', () => {
    const text = cjsonSafeJson({ logTail: 'a\ud800b', error: { errorMessage: '\udfff' }, list: ['\ud83d'] });
    expect(text).not.toMatch(/\\u[dD][89a-fA-F]/);
    expect(JSON.parse(text)).toEqual({ logTail: 'a\ufffdb', error: { errorMessage: '\ufffd' }, list: ['\ufffd'] });
  });

  it('leaves well-formed text as JSON.stringify writes it: pairs, and a backslash before "ud800"', () => {
    const value = { emoji: '\ud83d\ude00', text: '\\ud800 is how JSON escapes it', nested: JSON.stringify({ name: '\ud800' }) };
    expect(cjsonSafeJson(value)).toBe(JSON.stringify(value));
  });
});
