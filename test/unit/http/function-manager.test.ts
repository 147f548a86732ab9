import { describe, expect, it } from 'vitest';
import type { PermissionPolicy } from '../../../runtime/auth/index.js';
import type { ResolvedAsyncPolicy } from '../../../runtime/config/index.js';
import { FunctionManager } from '../../../runtime/http/function-manager.js';
import type { ManagementState } from '../../../runtime/http/management-store.js';
import type { FunctionRegistry } from '../../../runtime/invoke/index.js';

describe('FunctionManager at start', () => {
  it('re-applies what the API set, and keeps the config\'s retry delays (no API sets them), edits included', () => {
    // The config as edited since the change was saved: 3 s between attempts now.
    const spec = { name: 'orders', async: { maxRetries: 2, maxEventAgeSeconds: 21600, retryDelaysMs: [3000] } as ResolvedAsyncPolicy };
    const saved: ManagementState = {
      version: 1,
      functions: { orders: { async: { maxRetries: 0, maxEventAgeSeconds: 120, retryDelaysMs: [300, 300], onFailure: 'dlq' } as ResolvedAsyncPolicy } },
    };
    new FunctionManager({
      registry: { get: (name: string) => (name === 'orders' ? { spec } : undefined) } as unknown as FunctionRegistry,
      store: { load: () => saved, save: () => undefined },
      policy: { restore: () => undefined } as unknown as PermissionPolicy,
      region: 'us-east-1', accountId: '000000000000', concurrencyLimit: 10, topics: [],
    });
    expect(spec.async).toEqual({ maxRetries: 0, maxEventAgeSeconds: 120, retryDelaysMs: [3000], onFailure: 'dlq' });
  });
});
