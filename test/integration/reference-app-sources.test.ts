/**
 * The reference app's event sources through a real host with its own
 * neolith.config.ts: an order write reaches notifications/onOrderChange
 * through the orders table's change stream (seed orders filtered out), an
 * avatar upload gets a thumbnail, and a user-events message fans out to two
 * jobs. Waits on invocation outcomes, never sleeps.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, type InvocationOutcome } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const root = resolve(import.meta.dirname, '../..');
const state = tempDir('neolith-app-sources-');
let host: Host;
let url: string;
const outcomes: InvocationOutcome[] = [];
const waiters: Array<() => void> = [];

/** Resolves once `job` finished `count` invocations in total. */
async function finished(job: string, count: number): Promise<InvocationOutcome[]> {
  const of = () => outcomes.filter((o) => o.job === job);
  while (of().length < count) await new Promise<void>((r) => waiters.push(r));
  return of();
}

async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await response.json() as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

beforeAll(async () => {
  host = await createHost({ config: resolve(root, 'neolith.config.ts'), overrides: { stateDir: state.path } });
  host.invoker.onOutcome((o) => {
    outcomes.push(o);
    for (const w of waiters.splice(0)) w();
  });
  ({ url } = await host.listen({ port: 0 }));
});

afterAll(async () => {
  await host?.close();
  state.remove();
});

describe('the reference app on its event sources', () => {
  it('placing an order notifies its user through the orders change stream; seed orders invoke nothing', async () => {
    // The first query seeds the tables (10 seed orders land in the change stream, filtered out).
    expect(await gql('{ user(id: "u5") { orders { id } } }')).toEqual({ user: { orders: [{ id: 'o5' }] } });
    const placed = await gql('mutation { placeOrder(input: { userId: "u5", items: [{ sku: "LAMP", quantity: 1 }], delayMs: 0, failAttempts: 0 }) { id } }');
    const id = placed.placeOrder.id as string;
    const [change] = await finished('notifications/onOrderChange', 1);
    expect(change!.error).toBeUndefined();
    const after = await gql('{ user(id: "u5") { orders { id total } notifications(unreadOnly: true) { id message } } }');
    expect(after.user.orders).toEqual([{ id: 'o5', total: 40 }, { id, total: 35 }]);
    expect(after.user.notifications).toContainEqual({ id: `n-order-${id}`, message: `Your order ${id} was placed` });
    // Exactly one delivery: the seed orders matched no filter.
    expect(outcomes.filter((o) => o.job === 'notifications/onOrderChange')).toHaveLength(1);
  });

  it('an avatar upload gets a thumbnail and the user learns both', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.from([0, 0, 0, 128, 0, 0, 0, 64]), Buffer.alloc(8)]);
    const put = await fetch(`${url}/buckets/avatars/users/u2.png`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: png });
    expect(put.status).toBe(200);
    const [made] = await finished('users/makeThumbnail', 1);
    expect(made!.error).toBeUndefined();
    const thumb = await fetch(`${url}/buckets/avatars/thumbnails/u2.svg`);
    expect(thumb.headers.get('content-type')).toBe('image/svg+xml');
    // Served from the API's origin: never sniffed, and a document that runs no script.
    expect(thumb.headers.get('x-content-type-options')).toBe('nosniff');
    expect(thumb.headers.get('content-security-policy')).toBe('sandbox');
    expect(await thumb.text()).toMatch(/^<svg [^>]*width="64" height="64"[^>]*><image width="64" height="32" href="data:image\/png;base64,/);
    expect(await gql('{ user(id: "u2") { avatarUrl thumbnailUrl } }')).toEqual({
      user: { avatarUrl: '/buckets/avatars/users/u2.png', thumbnailUrl: '/buckets/avatars/thumbnails/u2.svg' },
    });
  });

  it('creating a user publishes to user-events, which fans out to two jobs', async () => {
    const created = await gql('mutation { createUser(input: { name: "Eve", email: "eve@example.com" }) { id } }');
    const id = created.createUser.id as string;
    await finished('notifications/welcomeUser', 1);
    await finished('users/recordUserEvent', 1);
    expect(await gql(`{ user(id: "${id}") { notifications { id message } } }`)).toEqual({
      user: { notifications: [{ id: `n-welcome-${id}`, message: 'Welcome to neolith, Eve!' }] },
    });
    const activity = await fetch(`${url}/tables/user-activity/query`, { method: 'POST', body: JSON.stringify({ query: { partitionKey: id } }) });
    expect(((await activity.json()) as { items: Array<{ item: { type: string } }> }).items.map((i) => i.item.type)).toEqual(['UserCreated']);
    // The email is taken now.
    const again = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { createUser(input: { name: "Eve 2", email: "eve@example.com" }) { id } }' }) });
    expect(((await again.json()) as { errors: Array<{ extensions: { errorType: string } }> }).errors[0]!.extensions.errorType).toBe('ConflictError');
  });
});
