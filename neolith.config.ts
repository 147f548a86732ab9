import { defineConfig } from 'neolith';

/** The reference app: jobs under resolvers/, packaged one function per domain. */
export default defineConfig({
  jobs: {
    dir: 'resolvers',
    layout: 'micro',
  },
});
