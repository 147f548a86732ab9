/**
 * Misuse of a publish: SNS's rules for Subject and for message attributes
 * (their number and names) are enforced with a 400, and an attribute named
 * `__proto__` is delivered as an attribute, not dropped.
 */
import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '../../../../runtime/errors/index.js';
import type { InvokeOptions, InvokeResult } from '../../../../runtime/invoke/index.js';
import { Topics } from '../../../../runtime/sources/push/topics.js';

function setup() {
  const delivered: Array<{ name: string; event: any }> = [];
  const invoke = async (name: string, payload: unknown, _options: InvokeOptions): Promise<InvokeResult> => {
    // Through JSON, as the queue stores it.
    delivered.push({ name, event: JSON.parse(JSON.stringify(payload)) });
    return { requestId: 'r', functionName: name, executedVersion: '$LATEST', statusCode: 202 };
  };
  const topics = new Topics({
    config: { news: { subscriptions: [{ function: 'reader', filterPolicyScope: 'MessageAttributes' }] } } as never,
    region: 'us-east-1', accountId: '000000000000', invoke,
  });
  return { topics, delivered };
}

/** The error `publish` rejects with, checked to be a 400. */
async function refusal(call: Promise<unknown>): Promise<string> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidParameterValueError);
  return (error as Error).message;
}

describe('publish input', () => {
  describe('Subject', () => {
    it('delivers a subject of up to 100 characters, UTF-8 included', async () => {
      const { topics, delivered } = setup();
      for (const subject of ['Order shipped', 's'.repeat(100), 'Größe: 🎉 ok', '"quoted" (and) [more]!']) await topics.publish('news', 'm', { subject });
      expect(delivered.map((d) => d.event.Records[0].Sns.Subject)).toEqual(['Order shipped', 's'.repeat(100), 'Größe: 🎉 ok', '"quoted" (and) [more]!']);
    });

    it('refuses a subject that is not a string instead of dropping it', async () => {
      const { topics, delivered } = setup();
      expect(await refusal(topics.publish('news', 'm', { subject: 5 as never }))).toBe('Invalid parameter: Subject must be a string (got 5)');
      await refusal(topics.publish('news', 'm', { subject: { text: 'x' } as never }));
      expect(delivered).toEqual([]);
    });

    it.each([
      ['more than 100 characters', 's'.repeat(101), 'must be at most 100 characters (got 101 characters)'],
      ['an empty subject', '', 'must not be empty'],
      ['a line feed', 'two\nlines', 'must not contain line breaks or control characters'],
      ['a carriage return', 'Subject\r\nBcc: x', 'must not contain line breaks or control characters'],
      ['a NUL', 'a\u0000b', 'must not contain line breaks or control characters'],
      ['an escape', '\u001b[31mred', 'must not contain line breaks or control characters'],
      ['a C1 control', 'a\u0085b', 'must not contain line breaks or control characters'],
      ['a line separator', 'a\u2028b', 'must not contain line breaks or control characters'],
      ['a lone surrogate', 'a\ud800b', 'must be UTF-8 text (it holds a lone surrogate)'],
    ])('refuses %s', async (_, subject, why) => {
      const { topics, delivered } = setup();
      expect(await refusal(topics.publish('news', 'm', { subject }))).toContain(`Invalid parameter: Subject ${why}`);
      expect(delivered).toEqual([]);
    });
  });

  describe('message attributes', () => {
    it('takes more than 10 attributes (the cap is raw delivery to SQS\'s), counting them toward the 256 KB', async () => {
      const { topics, delivered } = setup();
      const attrs = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, value]));
      await topics.publish('news', 'm', { attributes: attrs(11) });
      expect(Object.keys(delivered[0]!.event.Records[0].Sns.MessageAttributes)).toHaveLength(11);
      // 2 attributes of 128 KB and a message of 1 byte: over 256 KB with names and types.
      await expect(topics.publish('news', 'm', { attributes: attrs(2, 'x'.repeat(128 * 1024)) })).rejects.toMatchObject({
        name: 'RequestTooLargeException',
        message: expect.stringMatching(/^Invalid parameter: Message too long: the message and its attributes must be at most 262144 bytes \(got 2621\d\d\)$/),
      });
      expect(delivered).toHaveLength(1);
    });

    it('delivers an attribute named __proto__ as an attribute of its own', async () => {
      const { topics, delivered } = setup();
      const attributes = JSON.parse('{"__proto__":"a","tier":"gold"}') as Record<string, string>;
      await topics.publish('news', 'm', { attributes });
      const got = delivered[0]!.event.Records[0].Sns.MessageAttributes as Record<string, unknown>;
      expect(Object.hasOwn(got, '__proto__')).toBe(true);
      expect(JSON.stringify(got)).toBe('{"__proto__":{"Type":"String","Value":"a"},"tier":{"Type":"String","Value":"gold"}}');
    });

    it.each([
      ['a space', 'my attr', 'may contain only A-Z, a-z, 0-9, underscore (_), hyphen (-) and period (.)'],
      ['a non-ASCII letter', 'größe', 'may contain only A-Z, a-z, 0-9, underscore (_), hyphen (-) and period (.)'],
      ['a leading period', '.a', 'must not start or end with a period, nor hold two periods in a row'],
      ['a trailing period', 'a.', 'must not start or end with a period, nor hold two periods in a row'],
      ['two periods in a row', 'a..b', 'must not start or end with a period, nor hold two periods in a row'],
      ['the reserved AWS. prefix', 'aws.trace', 'must not start with the reserved prefixes AWS. or Amazon.'],
      ['the reserved Amazon. prefix', 'Amazon.x', 'must not start with the reserved prefixes AWS. or Amazon.'],
      ['more than 256 characters', 'n'.repeat(257), 'must be 1 to 256 characters (got 257)'],
      ['an empty name', '', 'must be 1 to 256 characters (got 0)'],
    ])('refuses a name with %s', async (_, name, why) => {
      const { topics, delivered } = setup();
      expect(await refusal(topics.publish('news', 'm', { attributes: { [name]: 'v' } }))).toContain(why);
      expect(delivered).toEqual([]);
    });

    it('takes names of SNS\'s whole alphabet, up to 256 characters', async () => {
      const { topics, delivered } = setup();
      await topics.publish('news', 'm', { attributes: { 'Az09_-.x': 'v', ['n'.repeat(256)]: 'w' } });
      expect(Object.keys(delivered[0]!.event.Records[0].Sns.MessageAttributes)).toEqual(['Az09_-.x', 'n'.repeat(256)]);
    });
  });
});
