import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../runtime/config/index.js';

const problems = (graphql: unknown) => validateConfig({ graphql }).problems;

describe('validateConfig: the graphql section', () => {
  it('accepts an empty and a full valid section', () => {
    expect(problems({})).toEqual([]);
    expect(problems({
      schemaDir: 'schema', maxDepth: 8, maxAliases: 0, maxTokens: 2000, maxCost: 10000, maxDirectives: 0,
      maxRequestBytes: 65536, maxFunctionCalls: 500, maskErrors: false, invocationVisibility: 'all',
      auth: { anonymous: false, jwt: { secret: 's3cret', issuer: 'https://idp', audience: ['a', 'b'] } },
    })).toEqual([]);
    expect(problems({ auth: { jwt: { jwksFile: './jwks.json', audience: 'api' } } })).toEqual([]);
  });

  it('must be an object', () => {
    expect(problems('yes')).toEqual(['graphql must be an object (got "yes")']);
  });

  it('flags unknown options', () => {
    expect(problems({ depth: 3 })).toEqual([
      'graphql.depth is not a known option (known: schemaDir, maxDepth, maxAliases, maxTokens, maxCost, maxDirectives, maxRequestBytes, maxFunctionCalls, maskErrors, auth, invocationVisibility)',
    ]);
  });

  it('schemaDir must be a non-empty string', () => {
    expect(problems({ schemaDir: '' })).toEqual(['graphql.schemaDir must be a non-empty string (got "")']);
  });

  it.each([
    ['maxDepth', 0, 'graphql.maxDepth must be an integer from 1 to 1000 (got 0)'],
    ['maxAliases', -1, 'graphql.maxAliases must be an integer from 0 to 1000 (got -1)'],
    ['maxTokens', 1.5, 'graphql.maxTokens must be an integer from 1 to 1000000 (got 1.5)'],
    ['maxCost', '100', 'graphql.maxCost must be an integer from 1 to 1000000000 (got "100")'],
    ['maxDirectives', 1001, 'graphql.maxDirectives must be an integer from 0 to 1000 (got 1001)'],
    ['maxRequestBytes', 0, 'graphql.maxRequestBytes must be an integer from 1 to 268435456 (got 0)'],
    ['maxFunctionCalls', 0, 'graphql.maxFunctionCalls must be an integer from 1 to 10000000 (got 0)'],
  ])('limit %s = %j → one clear problem', (key, value, message) => {
    expect(problems({ [key]: value })).toEqual([message]);
  });

  it('maskErrors must be a boolean', () => {
    expect(problems({ maskErrors: 'no' })).toEqual(['graphql.maskErrors must be true or false (got "no")']);
  });

  it('invocationVisibility must be "owner" or "all"', () => {
    expect(problems({ invocationVisibility: 'everyone' })).toEqual(['graphql.invocationVisibility must be "owner" or "all" (got "everyone")']);
  });

  it('auth must be an object with known keys', () => {
    expect(problems({ auth: true })).toEqual(['graphql.auth must be an object (got true)']);
    expect(problems({ auth: { oidc: {} } })).toEqual(['graphql.auth.oidc is not a known option (known: jwt, anonymous)']);
  });

  it('auth.anonymous must be a boolean', () => {
    expect(problems({ auth: { anonymous: 1, jwt: { secret: 's' } } })).toEqual(['graphql.auth.anonymous must be true or false (got 1)']);
  });

  it('auth.anonymous false needs auth.jwt or SigV4 principals', () => {
    expect(problems({ auth: { anonymous: false } })).toEqual([
      'graphql.auth.anonymous must stay true unless graphql.auth.jwt or auth.principals is set (nobody could call the gateway) (got false)',
    ]);
    // Principals sign GraphQL requests with SigV4: they can call it.
    expect(validateConfig({
      graphql: { auth: { anonymous: false } }, auth: { principals: { alice: { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'x' } } },
    }).problems).toEqual([]);
  });

  it('auth.jwt needs exactly one of secret or jwksFile', () => {
    expect(problems({ auth: { jwt: {} } })).toEqual(['graphql.auth.jwt must set exactly one of secret (HS256) or jwksFile (got [])']);
    expect(problems({ auth: { jwt: { secret: 's', jwksFile: 'k.json' } } })).toEqual([
      'graphql.auth.jwt must set exactly one of secret (HS256) or jwksFile (got ["secret","jwksFile"])',
    ]);
  });

  it('auth.jwt fields must be non-empty strings and known', () => {
    expect(problems({ auth: { jwt: { secret: '' } } })).toEqual(['graphql.auth.jwt.secret must be a non-empty string (got "")']);
    expect(problems({ auth: { jwt: { jwksFile: 3 } } })).toEqual(['graphql.auth.jwt.jwksFile must be a non-empty string (got 3)']);
    expect(problems({ auth: { jwt: { secret: 's', issuer: '' } } })).toEqual(['graphql.auth.jwt.issuer must be a non-empty string (got "")']);
    expect(problems({ auth: { jwt: { secret: 's', alg: 'none' } } })).toEqual([
      'graphql.auth.jwt.alg is not a known option (known: secret, jwksFile, issuer, audience)',
    ]);
  });

  it('auth.jwt.audience must be a string or a non-empty array of strings', () => {
    expect(problems({ auth: { jwt: { secret: 's', audience: [] } } })).toEqual([
      'graphql.auth.jwt.audience must be a non-empty string or array of non-empty strings (got [])',
    ]);
    expect(problems({ auth: { jwt: { secret: 's', audience: ['a', 2] } } })).toHaveLength(1);
  });
});
