import { describe, expect, it } from 'vitest';
import { addressRefusal } from '../../../runtime/cli/address-refusal.js';

describe('addressRefusal: whether --host can be listened on, before the host loads', () => {
  it('accepts a loopback address', async () => {
    expect(await addressRefusal('127.0.0.1')).toBeUndefined();
  });

  it('gives the system error for an address that is not this machine\'s, or a name that does not resolve', async () => {
    expect((await addressRefusal('192.0.2.1'))?.code).toBe('EADDRNOTAVAIL');
    expect((await addressRefusal('no-such-host.invalid'))?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });
});
