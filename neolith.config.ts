import { defineConfig } from 'neolith';

/** The reference app: jobs under resolvers/, packaged one function per domain. */
export default defineConfig({
  jobs: {
    dir: 'resolvers',
    layout: 'micro',
    settings: {
      // The async mutation: a slow pretend payment (about 1 s) that sometimes fails, retried quickly for the demo.
      'orders/placeOrder': { timeoutMs: 10_000, async: { maxRetries: 2, retryDelaysMs: [1_000, 2_000] } },
    },
  },
});
