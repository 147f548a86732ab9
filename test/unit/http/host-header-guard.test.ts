import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HostHeaderGuard } from '../../../runtime/http/host-header-guard.js';
import { isCrossSite } from '../../../runtime/http/cross-site-guard.js';

const req = (headers: Record<string, string>, remoteAddress = '127.0.0.1') => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe('HostHeaderGuard (DNS rebinding)', () => {
  it('on loopback, answers loopback names only, with any port', () => {
    const guard = new HostHeaderGuard('127.0.0.1', []);
    for (const host of ['localhost', 'localhost:4000', 'LOCALHOST:1', 'app.localhost:3000', '127.0.0.1:4000', '127.9.9.9', '[::1]:4000', '[::ffff:127.0.0.1]:80', 'localhost.', 'host.docker.internal:4000']) {
      expect(guard.allows(req({ host })), host).toBe(true);
    }
    for (const host of ['evil.example', 'evil.example:4000', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.1', '127.0.0.1.evil.example', '[::2]:80', '', 'a b', 'localhost:port', '[::1', 'evil@x.localhost', 'user:pw@localhost']) {
      expect(guard.allows(req({ host })), host).toBe(false);
    }
    // No Host at all (HTTP/1.0, raw sockets) is no browser's request.
    expect(guard.allows(req({}))).toBe(true);
  });

  it('answers the names the config allows, a leading dot allowing subdomains', () => {
    const guard = new HostHeaderGuard('localhost', ['myapp.test', '.dev.example']);
    expect(guard.allows(req({ host: 'myapp.test:4000' }))).toBe(true);
    expect(guard.allows(req({ host: 'api.dev.example' }))).toBe(true);
    expect(guard.allows(req({ host: 'dev.example' }))).toBe(true);
    expect(guard.allows(req({ host: 'other.test' }))).toBe(false);
    expect(guard.allows(req({ host: 'xdev.example' }))).toBe(false);
  });

  it('bound to another address, checks requests from loopback (which skip signatures) and leaves other machines\' to auth', () => {
    const guard = new HostHeaderGuard('0.0.0.0', []);
    expect(guard.allows(req({ host: 'rebind.evil.example:4000' }, '127.0.0.1'))).toBe(false);
    expect(guard.allows(req({ host: 'rebind.evil.example:4000' }, '::ffff:127.0.0.1'))).toBe(false);
    expect(guard.allows(req({ host: 'localhost:4000' }, '127.0.0.1'))).toBe(true);
    expect(guard.allows(req({ host: 'anything.example' }, '192.168.1.20'))).toBe(true);
  });
});

describe('isCrossSite', () => {
  it('reads the marks browsers put on requests; SDKs and curl send none', () => {
    expect(isCrossSite(req({ host: '127.0.0.1:4000' }))).toBe(false);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000' }))).toBe(false);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:4000' }))).toBe(false);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', origin: 'https://evil.example' }))).toBe(true);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:3000' }))).toBe(true);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', origin: 'null' }))).toBe(true);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', origin: 'not a url' }))).toBe(true);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', 'sec-fetch-site': 'cross-site' }))).toBe(true);
    expect(isCrossSite(req({ host: '127.0.0.1:4000', 'sec-fetch-site': 'same-site' }))).toBe(true);
    // The browser's verdict wins over an Origin that a proxy's rewritten Host no longer matches.
    expect(isCrossSite(req({ host: '127.0.0.1:4000', origin: 'http://localhost:5173', 'sec-fetch-site': 'same-origin' }))).toBe(false);
  });
});
