import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

/** The built copies: `npm test` builds first, and environment threads load the built modules. */
const built = (path: string) => fileURLToPath(new URL(`../../../dist/runtime/${path}`, import.meta.url));

/** What an environment thread loads at every cold start, beside the function's own bundle. */
const THREAD_MODULES = {
  'the thread itself': built('environment/worker-entry.js'),
  'the sources client (neolith/client)': built('sources/client/sources-client.js'),
  'the table reads it preloads': built('sources/client/direct-table-reads.js'),
};

describe('environment thread start-up', () => {
  it.each(Object.entries(THREAD_MODULES))('%s: loads no part\'s face that brings the host with it', async (_, entry) => {
    // Each module a thread loads costs every cold start: through the backend's face, the table reads
    // once brought 36 backend modules (~25 ms a cold start), and the errors' face is 25 modules.
    // Names relative to dist/runtime: `errors/index.js`, `index.js` (the package's face), `host.js`.
    const loaded = Object.keys((await madge(entry, { baseDir: built('') })).obj());
    expect(loaded).toContain(relative(built(''), entry));
    expect(loaded.filter((m) => /(^|\/)index\.js$|^host\.js$/.test(m))).toEqual([]);
    expect(loaded.filter((m) => /^backend\/(redis|sqlite)\//.test(m))).toEqual([]);
  });
});
