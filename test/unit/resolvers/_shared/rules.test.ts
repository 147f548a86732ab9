/**
 * The reference app's shared rules, called directly (no host): who a caller
 * may act for, by the kind of its identity, and the text and email checks.
 */
import { describe, expect, it } from 'vitest';
import { actingUser, callerId, mayActFor, requireSelf } from '../../../../resolvers/_shared/caller.js';
import { checkEmail, checkText } from '../../../../resolvers/_shared/input.js';

const oidc = (sub: unknown) => ({ identity: { sub, issuer: 'https://issuer.test', claims: { sub } } as never });
const iam = { identity: { accountId: '111111111111', userArn: 'arn:aws:iam::111111111111:user/alice', username: 'alice' } };
const anonymous = { identity: null };

describe('who may act for whom', () => {
  it('a signed-in caller acts only as its own sub', () => {
    expect(callerId(oidc('u1'))).toBe('u1');
    expect(mayActFor(oidc('u1'), 'u1')).toBe(true);
    expect(mayActFor(oidc('u1'), 'u2')).toBe(false);
    expect(actingUser(oidc('u1'), undefined, 'authorId', 'post as')).toBe('u1');
  });

  it('a signed-in caller whose sub is empty (or missing) matches no user: it is not anonymous', () => {
    for (const event of [oidc(''), oidc(undefined), { identity: { issuer: 'https://issuer.test', claims: {} } }]) {
      expect(callerId(event)).toBe('');
      for (const user of ['u1', 'u2', '']) expect(mayActFor(event, user)).toBe(false);
      expect(() => requireSelf(event, 'u1', 'read the orders of')).toThrow(expect.objectContaining({ name: 'Forbidden' }));
      expect(() => actingUser(event, 'u2', 'authorId', 'post as')).toThrow(expect.objectContaining({ name: 'Forbidden' }));
      expect(() => actingUser(event, undefined, 'authorId', 'post as')).toThrow(expect.objectContaining({ name: 'Forbidden' }));
    }
  });

  it('anonymous callers and SigV4 principals (IAM identity, no sub) may act for any user', () => {
    for (const event of [anonymous, iam]) {
      expect(callerId(event)).toBeUndefined();
      expect(mayActFor(event, 'u2')).toBe(true);
      expect(actingUser(event, 'u2', 'authorId', 'post as')).toBe('u2');
    }
    // An identity of unknown shape is not trusted: it counts as signed in, as nobody.
    expect(mayActFor({ identity: { cognitoIdentityId: 'x' } as never }, 'u1')).toBe(false);
    expect(mayActFor({ identity: { ...iam.identity, sub: '' } }, 'u1')).toBe(false);
  });

  it('a refusal names neither user', () => {
    expect(() => requireSelf(oidc('u1'), 'u2', 'read the orders of')).toThrow('a signed-in caller may not read the orders of another user');
  });
});

describe('texts and emails', () => {
  it('refuse a lone surrogate (a 6-byte escape in JSON, no character), take a pair', () => {
    for (const text of ['\ud800', 'a\udc00b', 'x\ud83d', '\ude00x']) {
      expect(() => checkText(text, 'title', 200), JSON.stringify(text)).toThrow('title must not contain lone surrogates');
      expect(() => checkEmail(`a${text}@example.com`), JSON.stringify(text)).toThrow('email must not contain lone surrogates');
    }
    expect(checkText('\ud83d\ude00', 'title', 1)).toBe('😀');
    expect(checkEmail('\ud83d\ude00@example.com')).toBe('😀@example.com');
  });

  it('emails refuse control characters, as texts do', () => {
    expect(() => checkEmail('a\u0000b@example.com')).toThrow('email must not contain control characters');
    expect(() => checkEmail('a@exa\u007fmple.com')).toThrow('email must not contain control characters');
    expect(() => checkText('a\u0000b', 'name', 100)).toThrow('name must not contain control characters');
  });
});
