import { describe, expect, it } from 'vitest';
import { jobKey, PermissionPolicy, PrincipalDirectory, type Principal } from '../../../runtime/auth/index.js';
import { AccessDeniedError, InvalidParameterValueError, ResourceConflictError, ResourceNotFoundError } from '../../../runtime/errors/index.js';

const directory = new PrincipalDirectory([
  { name: 'alice', accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 's', accountId: '111111111111' },
  { name: 'bob', accessKeyId: 'AKIABOB0000000000001', secretAccessKey: 's', accountId: '111111111111' },
  { name: 'partner', accessKeyId: 'AKIAPARTNER000000001', secretAccessKey: 's', accountId: '222222222222' },
]);
const p = (name: string): Principal => directory.byName(name)!;
const arnOf = (fn: string) => `arn:aws:lambda:us-east-1:111111111111:function:${fn}`;
const make = (permissions: Record<string, string[]> = {}) => new PermissionPolicy({ accountId: '111111111111', permissions, principals: directory, arnOf });
const allowed = (policy: PermissionPolicy, who: string, fn: string, action = 'lambda:InvokeFunction', job?: string) => {
  try {
    policy.check(p(who), action, fn, job);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(AccessDeniedError);
    return false;
  }
};

describe('PermissionPolicy', () => {
  it('lets same-account principals use unlisted functions; listed ones only by those named', () => {
    const policy = make({ secret: ['alice'] });
    expect(allowed(policy, 'bob', 'open')).toBe(true);
    expect(allowed(policy, 'bob', 'open', 'lambda:PutFunctionConcurrency')).toBe(true);
    expect(allowed(policy, 'alice', 'secret')).toBe(true);
    expect(allowed(policy, 'bob', 'secret')).toBe(false);
  });

  it('lets a same-account principal an added statement names on a restricted function see it and do only what the statement covers', () => {
    const policy = make({ secret: ['alice'] });
    expect(allowed(policy, 'alice', 'secret', 'lambda:PutFunctionConcurrency')).toBe(true);
    policy.add('secret', { StatementId: 'anyone', Action: 'lambda:InvokeFunction', Principal: '*' });
    expect(allowed(policy, 'bob', 'secret')).toBe(true);
    expect(allowed(policy, 'bob', 'secret', 'lambda:GetFunction')).toBe(true);
    expect(allowed(policy, 'bob', 'secret', 'lambda:GetPolicy')).toBe(true);
    expect(allowed(policy, 'bob', 'secret', 'lambda:PutFunctionConcurrency')).toBe(false);
    expect(allowed(policy, 'bob', 'secret', 'lambda:AddPermission')).toBe(false);
    expect(allowed(policy, 'bob', 'secret', 'lambda:UpdateFunctionEventInvokeConfig')).toBe(false);
    policy.add('secret', { StatementId: 'all', Action: 'lambda:*', Principal: 'bob' });
    expect(allowed(policy, 'bob', 'secret', 'lambda:PutFunctionConcurrency')).toBe(true);
  });

  it('never lets a statement conditioned on SourceArn or SourceAccount admit a principal\'s own call', () => {
    const policy = make();
    policy.add('open', { StatementId: 'acct', Action: 'lambda:InvokeFunction', Principal: '222222222222', SourceAccount: '222222222222' });
    policy.add('open', { StatementId: 'arn', Action: 'lambda:InvokeFunction', Principal: '*', SourceArn: 'arn:aws:s3:::uploads' });
    expect(allowed(policy, 'partner', 'open')).toBe(false);
    policy.add('open', { StatementId: 'plain', Action: 'lambda:InvokeFunction', Principal: '222222222222' });
    expect(allowed(policy, 'partner', 'open')).toBe(true);
  });

  it('lets cross-account principals do only what a statement grants', () => {
    const policy = make({ shared: ['partner'] });
    expect(allowed(policy, 'partner', 'shared')).toBe(true);
    expect(allowed(policy, 'partner', 'shared', 'lambda:PutFunctionConcurrency')).toBe(false);
    expect(allowed(policy, 'partner', 'open')).toBe(false);
    policy.add('open', { StatementId: 's1', Action: 'lambda:GetFunction', Principal: 'arn:aws:iam::222222222222:root' });
    expect(allowed(policy, 'partner', 'open', 'lambda:GetFunctionConfiguration')).toBe(true);
    expect(allowed(policy, 'partner', 'open')).toBe(false);
    expect(() => policy.checkAccount(p('partner'), 'lambda:ListFunctions')).toThrow(AccessDeniedError);
  });

  it('applies "*" keys and job keys', () => {
    const policy = make({ '*': ['alice'], [jobKey('users/getUser')]: ['bob'] });
    expect(allowed(policy, 'bob', 'users')).toBe(false);
    expect(allowed(policy, 'bob', 'users', 'lambda:InvokeFunction', 'users/getUser')).toBe(true);
    expect(allowed(policy, 'alice', 'anything')).toBe(true);
  });

  it('answers allows() as check() decides, jobs included, without throwing', () => {
    const policy = make({ [jobKey('orders/placeOrder')]: ['alice'] });
    expect(policy.allows(p('bob'), 'lambda:GetFunction', 'orders', 'orders/placeOrder')).toBe(false);
    expect(policy.allows(p('alice'), 'lambda:GetFunction', 'orders', 'orders/placeOrder')).toBe(true);
    expect(policy.allows(p('bob'), 'lambda:GetFunction', 'orders', 'orders/listOrders')).toBe(true);
    expect(() => policy.check(p('bob'), 'lambda:GetFunction', 'orders', 'orders/placeOrder')).toThrow(/not authorized/);
  });

  it('names principal, action and function when denying', () => {
    expect(() => make({ secret: ['alice'] }).check(p('bob'), 'lambda:InvokeFunction', 'secret')).toThrow(
      'User: arn:aws:iam::111111111111:user/bob is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:secret because no resource-based policy allows the lambda:InvokeFunction action',
    );
  });

  it('refuses a statement that takes the policy past Lambda\'s 20 KB, keeping the policy as it was', () => {
    const policy = make();
    let added = 0;
    let refusal: unknown;
    for (let i = 0; i < 1000 && refusal === undefined; i++) {
      try {
        policy.add('echo', { StatementId: `s${i}`, Action: 'lambda:InvokeFunction', Principal: '222222222222', SourceArn: `arn:aws:s3:::${'b'.repeat(60)}${i}` });
        added++;
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toMatchObject({ name: 'PolicyLengthExceededException', message: expect.stringMatching(/^The final policy size \(\d+\) is bigger than the limit \(20480\)\.$/) });
    expect(added).toBeGreaterThan(50);
    const document = policy.policyOf('echo').Policy;
    expect(Buffer.byteLength(document)).toBeLessThanOrEqual(20480);
    expect((JSON.parse(document) as { Statement: unknown[] }).Statement).toHaveLength(added);
    // Room again once a statement goes.
    policy.remove('echo', 's0');
    expect(() => policy.add('echo', { StatementId: 'again', Action: 'lambda:InvokeFunction', Principal: '222222222222' })).not.toThrow();
  });

  it('validates AddPermission input and statement ids like Lambda', () => {
    const policy = make();
    expect(() => policy.add('f', { StatementId: 'bad id', Action: 'lambda:InvokeFunction', Principal: '*' })).toThrow(InvalidParameterValueError);
    expect(() => policy.add('f', { StatementId: 'a', Action: 'invoke', Principal: '*' })).toThrow(InvalidParameterValueError);
    expect(() => policy.add('f', { StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: 'somebody' })).toThrow(InvalidParameterValueError);
    policy.add('f', { StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: 'bob' });
    expect(() => policy.add('f', { StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: '*' })).toThrow(ResourceConflictError);
    expect(() => policy.remove('f', 'zzz')).toThrow(ResourceNotFoundError);
    expect(JSON.parse(policy.policyOf('f').Policy).Statement).toEqual([
      { Sid: 'a', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:user/bob' }, Action: 'lambda:InvokeFunction', Resource: arnOf('f') },
    ]);
    const revision = policy.policyOf('f').RevisionId;
    policy.remove('f', 'a');
    expect(() => policy.policyOf('f')).toThrow(ResourceNotFoundError);
    expect(policy.added()).toEqual({});
    expect(revision).toEqual(expect.any(String));
  });
});
