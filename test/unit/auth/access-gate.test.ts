import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AccessGate, isLoopback } from '../../../runtime/auth/index.js';
import type { ResolvedAuth } from '../../../runtime/config/index.js';
import { MissingAuthenticationTokenError } from '../../../runtime/errors/index.js';

const auth = (anonymous: ResolvedAuth['anonymous']): ResolvedAuth => ({ principals: [], permissions: {}, anonymous, clockSkewSeconds: 300 });
const gate = (anonymous: ResolvedAuth['anonymous']) => new AccessGate(auth(anonymous), { accountId: '111111111111', region: 'us-east-1', arnOf: (f) => f, normaliseKey: (k) => k });
const req = (remoteAddress: string) => ({ headers: {}, url: '/', method: 'GET', socket: { remoteAddress } }) as unknown as IncomingMessage;
const noBody = () => Promise.reject(new Error('an unsigned request must not be read'));

describe('AccessGate anonymous rule', () => {
  it('loopback-only (the default) admits unsigned requests from this machine only', async () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.8.9.10']) {
      await expect(gate('loopback-only').authenticate(req(address), noBody)).resolves.toEqual({ caller: undefined });
    }
    await expect(gate('loopback-only').authenticate(req('10.0.0.5'), noBody)).rejects.toThrow(MissingAuthenticationTokenError);
    await expect(gate('loopback-only').authenticate(req('10.0.0.5'), noBody)).rejects.toThrow(/loopback only/);
  });

  it('deny refuses every unsigned request; allow admits them; signedOnly refuses them whatever the rule', async () => {
    await expect(gate('deny').authenticate(req('127.0.0.1'), noBody)).rejects.toThrow('Missing Authentication Token');
    await expect(gate('allow').authenticate(req('10.0.0.5'), noBody)).resolves.toEqual({ caller: undefined });
    await expect(gate('allow').authenticate(req('127.0.0.1'), noBody, { signedOnly: true })).rejects.toThrow(MissingAuthenticationTokenError);
  });

  it('knows loopback addresses', () => {
    expect([undefined, '10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '::'].map(isLoopback)).toEqual([false, false, false, false, false]);
  });
});
