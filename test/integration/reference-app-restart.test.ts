/**
 * The reference app keeps its state in the host's tables, never in module
 * memory: what one host wrote, a host started afterwards on the same state
 * dir (in another layout, so other environments and other modules) reads.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';
import app from '../../neolith.config.js';

const root = resolve(import.meta.dirname, '../..');
const state = tempDir('neolith-reference-restart-');
const open: Host[] = [];

afterAll(async () => {
  await Promise.all(open.map((h) => h.close()));
  state.remove();
});

async function start(layout: 'nano' | 'micro' | 'mono'): Promise<{ host: Host; gql: (query: string) => Promise<any> }> {
  const host = await createHost({
    config: { tables: app.tables, buckets: app.buckets, topics: app.topics, jobs: { dir: 'resolvers', layout } },
    rootDir: root,
    overrides: { stateDir: state.path },
  });
  open.push(host);
  const { url } = await host.listen({ port: 0 });
  const gql = async (query: string) => {
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const body = await response.json() as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  return { host, gql };
}

describe('the reference app across a restart', () => {
  it('reads, on a new host in another layout, the user, post and comment the closed one wrote', async () => {
    const first = await start('mono');
    const { createUser: user } = await first.gql('mutation { createUser(input: { name: "Restart", email: "restart@example.com" }) { id } }');
    const { createPost: post } = await first.gql(`mutation { createPost(input: { authorId: "${user.id}", title: "Kept", body: "Across a restart" }) { id } }`);
    await first.gql(`mutation { addComment(input: { postId: "${post.id}", authorId: "u1", body: "Still here" }) { id } }`);
    await first.host.close();

    const second = await start('nano');
    expect(await second.gql(`{ post(id: "${post.id}") { title body author { name email } comments(limit: 5) { body author { id } } } }`)).toEqual({
      post: { title: 'Kept', body: 'Across a restart', author: { name: 'Restart', email: 'restart@example.com' }, comments: [{ body: 'Still here', author: { id: 'u1' } }] },
    });
    // The counters carried on too: the next user does not take the id of the one written before.
    const { createUser: next } = await second.gql('mutation { createUser(input: { name: "After", email: "after@example.com" }) { id } }');
    expect(next.id).not.toBe(user.id);
  });
});
