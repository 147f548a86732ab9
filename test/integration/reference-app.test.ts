/**
 * The reference app's own rules through a real host (micro layout, JWT
 * identities with anonymous access allowed, SQLite in a temp state dir):
 * batch jobs answer a single context too, a signed-in caller acts only as
 * itself (and learns nothing of other users' items), a bad id fails only its
 * own item, lists and texts are capped, createUser's email claim,
 * placeOrder's validation and inputSchema (on a second host with the app's
 * own placeOrder settings), makeThumbnail's content and size checks. Plus the
 * README's commands and figures that describe the app.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, type InvocationOutcome } from '../../runtime/index.js';
import { neolithProcess } from '../support/cli.js';
import { tempDir } from '../support/temp-dir.js';
import app from '../../neolith.config.js';

const root = resolve(import.meta.dirname, '../..');
const state = tempDir('neolith-reference-app-');
const SECRET = 'a-reference-app-test-secret-of-32+-bytes';
const ISSUER = 'https://issuer.test';
let host: Host;
let url: string;
const outcomes: InvocationOutcome[] = [];
const waiters: Array<() => void> = [];

beforeAll(async () => {
  host = await createHost({
    config: {
      tables: app.tables, buckets: app.buckets, topics: app.topics,
      jobs: {
        dir: 'resolvers', layout: 'micro',
        settings: { 'orders/placeOrder': { timeoutMs: 5000, async: { maxRetries: 2, retryDelaysMs: [20] } } },
      },
      graphql: { auth: { anonymous: true, jwt: { secret: SECRET, issuer: ISSUER } } },
    },
    rootDir: root,
    overrides: { stateDir: state.path },
  });
  host.invoker.onOutcome((o) => {
    outcomes.push(o);
    for (const w of waiters.splice(0)) w();
  });
  ({ url } = await host.listen({ port: 0 }));
}, 60_000);

afterAll(async () => {
  await host?.close();
  state.remove();
});

/** Resolves once `job` finished `count` invocations in total. */
async function finished(job: string, count: number): Promise<InvocationOutcome[]> {
  const of = () => outcomes.filter((o) => o.job === job);
  while (of().length < count) await new Promise<void>((r) => waiters.push(r));
  return of();
}

interface GqlError { message: string; path?: Array<string | number>; extensions?: { code?: string; errorType?: string } }

/** POSTs a GraphQL operation, as `as` (a user id, the JWT's sub) or anonymously. */
async function gql(query: string, variables?: Record<string, unknown>, as?: string): Promise<{ data?: any; errors?: GqlError[] }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (as !== undefined) {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(as).setIssuer(ISSUER)
      .setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
    headers.authorization = `Bearer ${token}`;
  }
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return response.json() as Promise<{ data?: any; errors?: GqlError[] }>;
}

/** The errorType of each error, by path joined with dots. */
function errorTypes(body: { errors?: GqlError[] }): Record<string, string | undefined> {
  return Object.fromEntries((body.errors ?? []).map((e) => [(e.path ?? []).join('.'), e.extensions?.errorType]));
}

const long = (n: number) => 'x'.repeat(n);

/** The app's own settings of orders/placeOrder (inputSchema included), from neolith.config.ts. */
function placeOrderSettings() {
  const jobs = app.jobs;
  if (!jobs) throw new Error('the reference app has jobs');
  return jobs.settings!['orders/placeOrder']!;
}

describe('batch jobs given a single context (AppSync Invoke)', () => {
  it('answer one result, not an array, and fail with the item\'s own error', async () => {
    const user = await host.invoke('users/getUser', { arguments: { id: 'u1' } });
    expect(user.functionError).toBeUndefined();
    expect(JSON.parse(user.payload!)).toMatchObject({ id: 'u1', name: 'Ada 1', email: 'user1@example.com' });
    const post = await host.invoke('posts/getPost', { arguments: { id: 'p2' }, source: null });
    expect(JSON.parse(post.payload!)).toMatchObject({ id: 'p2', authorId: 'u2' });
    const count = await host.invoke('comments/countComments', { arguments: {}, source: { id: 'p1' } });
    expect(JSON.parse(count.payload!)).toBe(3);
    const missing = await host.invoke('users/getUser', { arguments: { id: 'nobody' } });
    expect(JSON.parse(missing.payload!)).toBeNull();
    const bad = await host.invoke('users/getUser', { arguments: { id: '' } });
    expect(bad.functionError).toBe('Unhandled');
    expect(bad.error).toMatchObject({ errorType: 'ValidationError', errorMessage: 'id must be a non-empty string (got "")' });
    // An array is still a batch: one answer per context, in order.
    const batch = await host.invoke('users/getUser', [{ arguments: { id: 'u2' } }, { arguments: { id: 'u3' } }]);
    expect((JSON.parse(batch.payload!) as Array<{ id: string }>).map((u) => u.id)).toEqual(['u2', 'u3']);
  });

  it('the README\'s `invoke users/getUser` command works as written against a running host', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const line = readme.split('\n').find((l) => / invoke users\/getUser --url /.test(l));
    expect(line).toBeDefined();
    const words = [...line!.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    // From a fresh `npm ci` checkout the package's own bin is not on PATH (npx would look in the registry).
    expect(words.slice(0, 2)).toEqual(['node', 'dist/runtime/cli/main.js']);
    const args = words.slice(2);
    args[args.indexOf('--url') + 1] = url;
    const run = await neolithProcess(args, root);
    expect(run.stderr).toContain('START RequestId:');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 'u1', name: 'Ada 1' });
  });
});

describe('a signed-in caller acts only as itself (JWT sub = user id)', () => {
  it('posts and comments as itself; not as another author', async () => {
    const create = 'mutation ($input: CreatePostInput!) { createPost(input: $input) { authorId } }';
    expect((await gql(create, { input: { title: 'Mine', body: 'b' } }, 'u1')).data).toEqual({ createPost: { authorId: 'u1' } });
    expect((await gql(create, { input: { authorId: 'u1', title: 'Mine', body: 'b' } }, 'u1')).data).toEqual({ createPost: { authorId: 'u1' } });
    const forged = await gql(create, { input: { authorId: 'u2', title: 'Not mine', body: 'b' } }, 'u1');
    expect(errorTypes(forged)).toEqual({ createPost: 'Forbidden' });
    expect(forged.errors![0]!.message).toBe('a signed-in caller may not post as another user');
    const comment = 'mutation ($input: AddCommentInput!) { addComment(input: $input) { authorId } }';
    // On u3's post: the notification it sends goes to u3, whose notifications the next tests do not read.
    expect((await gql(comment, { input: { postId: 'p3', body: 'hi' } }, 'u1')).data).toEqual({ addComment: { authorId: 'u1' } });
    expect(errorTypes(await gql(comment, { input: { postId: 'p3', authorId: 'u2', body: 'hi' } }, 'u1'))).toEqual({ addComment: 'Forbidden' });
    // Anonymous callers keep the demo's behaviour: any author.
    expect((await gql(create, { input: { authorId: 'u2', title: 'Demo', body: 'b' } })).data).toEqual({ createPost: { authorId: 'u2' } });
  });

  it('reads only its own orders and notifications; other users\' lists fail alone with Forbidden', async () => {
    // Seed: o1 belongs to u1, o2 to u2; n1 and n2 to u1, n3 and n4 to u2.
    expect((await gql('{ order(id: "o1") { id } }', undefined, 'u1')).data).toEqual({ order: { id: 'o1' } });
    const users = await gql('{ users(limit: 2) { id orders { id } notifications { id } } }', undefined, 'u1');
    expect(users.data).toEqual({ users: [{ id: 'u1', orders: [{ id: 'o1' }], notifications: [{ id: 'n1' }, { id: 'n2' }] }, { id: 'u2', orders: null, notifications: null }] });
    expect(errorTypes(users)).toEqual({ 'users.1.orders': 'Forbidden', 'users.1.notifications': 'Forbidden' });
    // The refusal names nobody: not the owner, not the caller.
    expect(users.errors!.map((e) => e.message).sort()).toEqual([
      'a signed-in caller may not read the notifications of another user', 'a signed-in caller may not read the orders of another user',
    ]);
    // Anonymous: as before.
    expect((await gql('{ order(id: "o2") { id } }')).data).toEqual({ order: { id: 'o2' } });
  });

  it('answers another user\'s order exactly as a missing one: null, no error', async () => {
    const other = await gql('{ order(id: "o2") { id } }', undefined, 'u1');
    const missing = await gql('{ order(id: "no-such-order") { id } }', undefined, 'u1');
    expect(other).toEqual({ data: { order: null } });
    expect(missing).toEqual(other);
  });

  it('marks only its own notifications read; another user\'s is NotFound, as a missing one is', async () => {
    const mark = 'mutation ($id: ID!) { markNotificationRead(id: $id) { id read } }';
    const other = await gql(mark, { id: 'n3' }, 'u1');
    const missing = await gql(mark, { id: 'n-missing' }, 'u1');
    expect(errorTypes(other)).toEqual({ markNotificationRead: 'NotFoundError' });
    expect(other.errors![0]!.message).toBe('no notification n3');
    expect({ ...missing, errors: missing.errors!.map((e) => ({ ...e, message: e.message.replace('n-missing', 'n3') })) }).toEqual(other);
    expect((await gql('{ user(id: "u2") { notifications(unreadOnly: true) { id } } }', undefined, 'u2')).data.user.notifications).toEqual([{ id: 'n4' }]);
    expect((await gql(mark, { id: 'n2' }, 'u1')).data).toEqual({ markNotificationRead: { id: 'n2', read: true } });
  });

  it('places orders only for itself', async () => {
    const place = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
    const placed = await gql(place, { input: { userId: 'u2', items: [{ sku: 'PEN', quantity: 1 }], delayMs: 0, failAttempts: 0 } }, 'u1');
    const record = await host.invocations.waitForFinal(placed.data.placeOrder.id);
    expect(record).toMatchObject({ status: 'FAILED', error: { errorType: 'Forbidden', errorMessage: 'a signed-in caller may not place orders for another user' } });
  });

  it('reads its own async invocations; to another caller or an anonymous one they do not exist', async () => {
    const placed = await gql('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { userId: 'u3', items: [{ sku: 'PEN', quantity: 1 }], delayMs: 0, failAttempts: 0 } }, 'u3');
    const id: string = placed.data.placeOrder.id;
    await host.invocations.waitForFinal(id);
    // The record keeps who placed it: the host's own record, not only what the gateway answered.
    expect((await host.invocations.get(id))?.identity).toMatchObject({ sub: 'u3', issuer: ISSUER });
    const read = 'query ($id: ID!) { invocation(id: $id) { id status job } }';
    expect((await gql(read, { id }, 'u3')).data).toEqual({ invocation: { id, status: 'SUCCEEDED', job: 'orders/placeOrder' } });
    expect(await gql(read, { id }, 'u4')).toEqual({ data: { invocation: null } });
    expect(await gql(read, { id })).toEqual({ data: { invocation: null } });
    // A subscription to it says "not found", as it does for an id that never existed.
    const watch = async (as: string, watched: string): Promise<string> => {
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(as).setIssuer(ISSUER)
        .setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'subscription ($id: ID!) { invocation(id: $id) { id status } }', variables: { id: watched } }),
      });
      return response.text();
    };
    expect(await watch('u3', id)).toContain(`"invocation":{"id":"${id}","status":"SUCCEEDED"}`);
    const foreign = await watch('u4', id);
    expect(foreign).toContain(`invocation ${id} not found`);
    expect(foreign).not.toContain('SUCCEEDED');
    expect((await watch('u4', 'never-placed')).replaceAll('never-placed', id)).toBe(foreign);
  });
});

describe('a signed-in caller with an empty sub is nobody, not anonymous', () => {
  // The identity as the gateway hands a verified JWT to a job (see runtime/graphql/identity-verifier.ts).
  const nobody = { sub: '', issuer: ISSUER, claims: { sub: '', iss: ISSUER } };
  const invoke = async (job: string, event: Record<string, unknown>) => {
    const out = await host.invoke(job, { source: null, ...event });
    return { value: out.payload === undefined ? undefined : JSON.parse(out.payload), error: out.error };
  };

  it('reads no one\'s orders or notifications, and writes as no one', async () => {
    expect(await invoke('orders/getOrder', { arguments: { id: 'o1' }, identity: nobody })).toMatchObject({ value: null });
    expect((await invoke('orders/listOrdersByUser', { arguments: {}, source: { id: 'u1' }, identity: nobody })).error).toMatchObject({ errorType: 'Forbidden' });
    expect((await invoke('notifications/listNotifications', { arguments: {}, source: { id: 'u1' }, identity: nobody })).error).toMatchObject({ errorType: 'Forbidden' });
    expect((await invoke('notifications/markRead', { arguments: { id: 'n1' }, identity: nobody })).error)
      .toMatchObject({ errorType: 'NotFoundError', errorMessage: 'no notification n1' });
    for (const input of [{ authorId: 'u1', title: 'Forged', body: 'b' }, { title: 'Forged', body: 'b' }]) {
      expect((await invoke('posts/createPost', { arguments: { input }, identity: nobody })).error, JSON.stringify(input)).toMatchObject({ errorType: 'Forbidden' });
    }
    expect((await invoke('comments/addComment', { arguments: { input: { postId: 'p1', authorId: 'u1', body: 'b' } }, identity: nobody })).error).toMatchObject({ errorType: 'Forbidden' });
    expect((await invoke('orders/placeOrder', { arguments: { input: { userId: 'u1', items: [{ sku: 'PEN', quantity: 1 }], delayMs: 0 } }, identity: nobody })).error)
      .toMatchObject({ errorType: 'Forbidden' });
  });

  it('a SigV4 principal (IAM identity, no sub) still acts for any user', async () => {
    const iam = { accountId: '123456789012', userArn: 'arn:aws:iam::123456789012:user/backend', username: 'backend' };
    expect(await invoke('orders/getOrder', { arguments: { id: 'o2' }, identity: iam })).toMatchObject({ value: { id: 'o2', userId: 'u2' } });
  });

  it('through the gateway: a token whose sub is "" is refused outright', async () => {
    const body = await gql('{ order(id: "o1") { id } user(id: "u1") { orders { id } } }', undefined, '');
    // The gateway refuses it (401); the jobs' own rule for it is tested by calling them directly, above.
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.data ?? null).toBeNull();
  });
});

describe('ids', () => {
  it('an over-long or empty id fails only its own item, with a clear error', async () => {
    const body = await gql(`{ a: user(id: "u1") { name } b: user(id: "${long(3000)}") { name } c: user(id: "") { name } d: post(id: "${long(3000)}") { id } }`);
    expect(body.data).toEqual({ a: { name: 'Ada 1' }, b: null, c: null, d: null });
    expect(errorTypes(body)).toEqual({ b: 'ValidationError', c: 'ValidationError', d: 'ValidationError' });
    expect(body.errors!.find((e) => e.path?.[0] === 'b')!.message).toBe('id must be at most 256 bytes (got 3000)');
  });

  it('an empty id is a ValidationError, not the table\'s error', async () => {
    expect(errorTypes(await gql('{ order(id: "") { id } }'))).toEqual({ order: 'ValidationError' });
    expect(errorTypes(await gql('mutation { markNotificationRead(id: "") { id } }'))).toEqual({ markNotificationRead: 'ValidationError' });
    expect(errorTypes(await gql('mutation { createPost(input: { authorId: "", title: "t", body: "b" }) { id } }'))).toEqual({ createPost: 'ValidationError' });
    expect(errorTypes(await gql('mutation { addComment(input: { postId: "", authorId: "u1", body: "b" }) { id } }'))).toEqual({ addComment: 'ValidationError' });
  });
});

describe('caps', () => {
  it('a limit outside 1..100 is refused with a clear error, not an empty list', async () => {
    const negative = await gql('{ posts(limit: -1) { id } }');
    expect(negative.errors![0]).toMatchObject({ message: 'limit must be an integer from 1 to 100 (got -1)', extensions: { errorType: 'ValidationError' } });
    expect(errorTypes(await gql('{ users(limit: 101) { id } }'))).toEqual({ users: 'ValidationError' });
    expect(errorTypes(await gql('{ posts(offset: -5) { id } }'))).toEqual({ posts: 'ValidationError' });
    const nested = await gql('{ user(id: "u1") { posts(limit: 0) { id } } }');
    expect(errorTypes(nested)).toEqual({ 'user.posts': 'ValidationError' });
  });

  it('User.orders and User.notifications take a limit (default 20, at most 100)', async () => {
    const body = await gql('{ user(id: "u1") { orders(limit: 1) { id } notifications(limit: 1) { id } } }');
    expect(body).toEqual({ data: { user: { orders: [{ id: 'o1' }], notifications: [{ id: 'n1' }] } } });
    expect(errorTypes(await gql('{ user(id: "u1") { orders(limit: 1000) { id } } }'))).toEqual({ 'user.orders': 'ValidationError' });
  });

  it('texts are capped: names 100, titles 200, bodies and comments 10,000 characters', async () => {
    const post = await gql('mutation ($b: String!) { createPost(input: { authorId: "u1", title: "t", body: $b }) { id } }', { b: long(10_001) });
    expect(post.errors![0]).toMatchObject({ message: 'body must be at most 10000 characters (got 10001)', extensions: { errorType: 'ValidationError' } });
    expect(errorTypes(await gql('mutation ($t: String!) { createPost(input: { authorId: "u1", title: $t, body: "b" }) { id } }', { t: long(201) }))).toEqual({ createPost: 'ValidationError' });
    expect(errorTypes(await gql('mutation ($b: String!) { addComment(input: { postId: "p1", authorId: "u1", body: $b }) { id } }', { b: long(10_001) }))).toEqual({ addComment: 'ValidationError' });
    expect(errorTypes(await gql('mutation ($n: String!) { createUser(input: { name: $n, email: "long@example.com" }) { id } }', { n: long(101) }))).toEqual({ createUser: 'ValidationError' });
    // At the cap: fine.
    expect((await gql('mutation ($b: String!) { createPost(input: { authorId: "u1", title: "t", body: $b }) { authorId } }', { b: long(10_000) })).data).toEqual({ createPost: { authorId: 'u1' } });
  });

  it('comments that would pass Lambda\'s 6 MB response fail per post, not the whole batch', async () => {
    // 8 posts × 100 comments of 10,000 characters: ~8 MB in one batched answer.
    const posts = Array.from({ length: 8 }, (_, i) => `big${i}`);
    await host.sources.tables.batchPut('posts', posts.map((id, i) => ({ id, seq: 1_000_000 + i, authorId: 'u1', title: id, body: '', createdAt: new Date().toISOString() })));
    for (const postId of posts) {
      await host.sources.tables.batchPut('comments', Array.from({ length: 100 }, (_, k) => ({
        id: `${postId}-c${k}`, seq: 1_000_000 + k, postId, authorId: 'u1', body: long(10_000), createdAt: new Date().toISOString(),
      })));
    }
    const body = await gql(`{ ${posts.map((id) => `${id}: post(id: "${id}") { comments(limit: 100) { id } }`).join(' ')} }`);
    const answered = posts.filter((id) => body.data[id].comments !== null);
    expect(answered.length).toBeGreaterThanOrEqual(4);
    expect(answered.length).toBeLessThan(8);
    for (const id of answered) expect(body.data[id].comments).toHaveLength(100);
    expect(new Set(Object.values(errorTypes(body)))).toEqual(new Set(['ResponseTooLarge']));
    expect(body.errors![0]!.message).toMatch(/^the answer to this batch would pass 5242880 bytes/);
  }, 30_000);

  it('posts that would pass Lambda\'s 6 MB response fail per user, not the whole query', async () => {
    // 8 users × 100 posts of 10,000 characters: ~8 MB in one batched answer of User.posts.
    const authors = Array.from({ length: 8 }, (_, i) => `big-author${i}`);
    const now = new Date().toISOString();
    await host.sources.tables.batchPut('users', authors.map((id, i) => ({ id, seq: 2_000_000 + i, name: id, email: `${id}@example.com`, createdAt: now })));
    for (const [a, authorId] of authors.entries()) {
      await host.sources.tables.batchPut('posts', Array.from({ length: 100 }, (_, k) => ({
        id: `${authorId}-p${k}`, seq: 2_000_000 + a * 100 + k, authorId, title: 't', body: long(10_000), createdAt: now,
      })));
    }
    const body = await gql(`{ ${authors.map((id, i) => `a${i}: user(id: "${id}") { id posts(limit: 100) { id } }`).join(' ')} }`);
    expect(body.data).not.toBeNull();
    const answered = authors.filter((_, i) => body.data[`a${i}`].posts !== null);
    expect(answered.length).toBeGreaterThanOrEqual(4);
    expect(answered.length).toBeLessThan(8);
    for (const [i, id] of authors.entries()) {
      expect(body.data[`a${i}`].id).toBe(id);
      if (answered.includes(id)) expect(body.data[`a${i}`].posts).toHaveLength(100);
    }
    expect(new Set(Object.values(errorTypes(body)))).toEqual(new Set(['ResponseTooLarge']));
  }, 30_000);

  it('a lone surrogate is refused in texts and emails (JSON writes it as 6 bytes); so is a control character in an email', async () => {
    const post = 'mutation ($t: String!, $b: String!) { createPost(input: { authorId: "u1", title: $t, body: $b }) { id } }';
    const title = await gql(post, { t: 'half \ud800 a pair', b: 'b' });
    expect(title.errors![0]).toMatchObject({ message: 'title must not contain lone surrogates (half of a UTF-16 pair)', extensions: { errorType: 'ValidationError' } });
    expect(errorTypes(await gql(post, { t: 't', b: '\udc00'.repeat(10_000) }))).toEqual({ createPost: 'ValidationError' });
    const user = 'mutation ($e: String!) { createUser(input: { name: "Eve", email: $e }) { id } }';
    expect((await gql(user, { e: 'eve\ud800@example.com' })).errors![0]!.message).toBe('email must not contain lone surrogates (half of a UTF-16 pair)');
    expect((await gql(user, { e: 'eve\u0000@example.com' })).errors![0]!.message).toBe('email must not contain control characters');
    // A whole pair is one character.
    expect((await gql(post, { t: '\ud83d\ude00', b: '' })).errors).toBeUndefined();
  });
});

describe('createUser', () => {
  it('compares emails case-insensitively and stores them lower case', async () => {
    const first = await gql('mutation { createUser(input: { name: "Mixed", email: "Mixed.Case@Example.COM" }) { email } }');
    expect(first.data).toEqual({ createUser: { email: 'mixed.case@example.com' } });
    expect(errorTypes(await gql('mutation { createUser(input: { name: "Again", email: "mixed.case@example.com" }) { id } }'))).toEqual({ createUser: 'ConflictError' });
  });

  it('gives the email back when the user write fails', async () => {
    // Take the id the next user would get, so its (conditional) write fails after the email was claimed.
    const next = ((await host.sources.tables.get('counters', { name: 'users' }))!.item as { value: number }).value + 1;
    await host.sources.tables.put('users', { id: `u${next}`, seq: next, name: 'Squatter', email: 'squatter@example.com', createdAt: new Date().toISOString() });
    const failed = await gql('mutation { createUser(input: { name: "Zoe", email: "zoe@example.com" }) { id } }');
    expect(failed.errors).toHaveLength(1);
    const retried = await gql('mutation { createUser(input: { name: "Zoe", email: "zoe@example.com" }) { id email } }');
    expect(retried.errors).toBeUndefined();
    expect(retried.data.createUser).toEqual({ id: `u${next + 1}`, email: 'zoe@example.com' });
  });
});

describe('placeOrder validates before its pretend payment', () => {
  const place = async (input: Record<string, unknown>) => {
    const placed = await gql('mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input });
    return host.invocations.waitForFinal(placed.data.placeOrder.id);
  };

  it.each([
    ['a quantity of 0', { items: [{ sku: 'PEN', quantity: 0 }] }, 'items[0].quantity must be an integer from 1 to 1000 (got 0)'],
    ['a negative quantity', { items: [{ sku: 'PEN', quantity: -3 }] }, 'items[0].quantity must be an integer from 1 to 1000 (got -3)'],
    ['101 items', { items: Array.from({ length: 101 }, () => ({ sku: 'PEN', quantity: 1 })) }, 'items must hold 1 to 100 items (got 101)'],
    ['no items', { items: [] }, 'items must hold 1 to 100 items (got 0)'],
    ['an unknown product', { items: [{ sku: 'NOPE', quantity: 1 }] }, 'no product NOPE'],
    ['an unknown user', { userId: 'nobody', items: [{ sku: 'PEN', quantity: 1 }] }, 'no user nobody'],
    ['a delay past the cap', { items: [{ sku: 'PEN', quantity: 1 }], delayMs: 60_000 }, 'delayMs must be an integer from 0 to 5000 (got 60000)'],
    ['a negative delay', { items: [{ sku: 'PEN', quantity: 1 }], delayMs: -1 }, 'delayMs must be an integer from 0 to 5000 (got -1)'],
    // Characters are code points, as the inputSchema counts them: 64 emoji (128 UTF-16 units) are a well-formed sku.
    ['a sku of 64 emoji (not a product)', { items: [{ sku: '\u{1f600}'.repeat(64), quantity: 1 }] }, `no product ${'\u{1f600}'.repeat(64)}`],
    ['a sku of 65 characters', { items: [{ sku: 'x'.repeat(65), quantity: 1 }] }, 'items[0].sku must be a string of 1 to 64 characters (got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...)'],
  ])('%s fails at once with its own error, never a payment error', async (_name, input, message) => {
    // alwaysFail and a 5 s delay would come first if the job checked its input late.
    const record = await place({ userId: 'u1', delayMs: 5000, alwaysFail: true, ...input });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ errorMessage: message });
    expect(['ValidationError', 'NotFoundError']).toContain(record.error!.errorType);
  });

  it('a valid order still pays, retries and succeeds', async () => {
    const record = await place({ userId: 'u1', items: [{ sku: 'MUG', quantity: 2 }], delayMs: 0, failAttempts: 1 });
    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(JSON.parse(record.result!)).toMatchObject({ userId: 'u1', total: 16, items: [{ sku: 'MUG', quantity: 2, price: 8 }] });
  });

  it('left to itself, declines the first attempt of one order in four (by request id), whose retry succeeds', async () => {
    // The README's demo: no failAttempts. Orders until both kinds were seen (one in four is unlucky:
    // 40 orders all lucky has a chance of 1 in 100,000).
    const unlucky = (id: string) => createHash('sha1').update(id).digest()[0]! % 4 === 0;
    const seen = { lucky: 0, unlucky: 0 };
    for (let i = 0; i < 40 && (seen.lucky === 0 || seen.unlucky === 0); i++) {
      const record = await place({ userId: 'u1', items: [{ sku: 'PEN', quantity: 1 }], delayMs: 0 });
      const kind = unlucky(record.id) ? 'unlucky' : 'lucky';
      seen[kind]++;
      expect(record, kind).toMatchObject({ status: 'SUCCEEDED', attempts: kind === 'unlucky' ? 2 : 1 });
    }
    expect(seen.lucky).toBeGreaterThan(0);
    expect(seen.unlucky).toBeGreaterThan(0);
  });
});

describe('placeOrder\'s inputSchema in neolith.config.ts', () => {
  it('refuses a malformed order before it is queued, and takes a good one', async () => {
    const jobs = app.jobs;
    if (!jobs) throw new Error('the reference app has jobs');
    const schema = jobs.settings!['orders/placeOrder']!.inputSchema!;
    const check = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const event = (input: Record<string, unknown>) => ({ arguments: { input: { userId: 'u1', items: [{ sku: 'PEN', quantity: 1 }], ...input } } });
    expect(check(event({}))).toBe(true);
    expect(check(event({ delayMs: null, failAttempts: 1, alwaysFail: false }))).toBe(true);
    for (const bad of [{ items: [] }, { items: [{ sku: 'PEN', quantity: 0 }] }, { items: [{ sku: 'PEN', quantity: 1.5 }] },
      { items: Array.from({ length: 101 }, () => ({ sku: 'PEN', quantity: 1 })) }, { delayMs: 60_000 }, { userId: '' }]) {
      expect(check(event(bad)), JSON.stringify(bad)).toBe(false);
    }
  });

  it('lets through only what the job\'s own checks take: lengths in code points, userIds of at most 256 bytes', async () => {
    const schema = placeOrderSettings().inputSchema!;
    const check = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const input = (over: Record<string, unknown>) => ({ userId: 'u1', items: [{ sku: 'PEN', quantity: 1 }], delayMs: 0, alwaysFail: true, ...over });
    // 100 "€" are 100 code points but 300 bytes: the job's id rule refuses them, so must the schema.
    for (const userId of ['\u20ac'.repeat(100), 'x'.repeat(257), 'u 1', 'u\u0000']) {
      expect(check({ arguments: { input: input({ userId }) } }), JSON.stringify(userId)).toBe(false);
    }
    expect(check({ arguments: { input: input({ items: [{ sku: '\u{1f600}'.repeat(65), quantity: 1 }] }) } })).toBe(false);
    // Each of these passes the schema, and the job's checks take it: it fails later, on the user or the product or the payment.
    for (const over of [{ userId: 'x'.repeat(256) }, { userId: '~!' }, { items: [{ sku: '\u{1f600}'.repeat(64), quantity: 1 }] }, { items: [{ sku: '\u00e9', quantity: 1000 }] }]) {
      const event = { arguments: { input: input(over) } };
      expect(check(event), JSON.stringify(over)).toBe(true);
      const out = await host.invoke('orders/placeOrder', event);
      expect(out.error, JSON.stringify(over)).toBeDefined();
      expect(out.error!.errorType, JSON.stringify(over)).not.toBe('ValidationError');
    }
  });
});

describe('placeOrder on a host with the app\'s own settings (inputSchema included)', () => {
  let appState: ReturnType<typeof tempDir> | undefined;
  let appHost: Host;
  let appUrl: string;

  beforeAll(async () => {
    appHost = await createHost({
      config: {
        tables: app.tables, buckets: app.buckets, topics: app.topics,
        jobs: { dir: 'resolvers', layout: 'micro', settings: { 'orders/placeOrder': placeOrderSettings() } },
      },
      rootDir: root,
      overrides: { stateDir: (appState = tempDir('neolith-reference-app-schema-')).path },
    });
    ({ url: appUrl } = await appHost.listen({ port: 0 }));
  }, 60_000);

  afterAll(async () => {
    await appHost?.close();
    appState?.remove();
  });

  const place = async (input: Record<string, unknown>) => {
    const response = await fetch(`${appUrl}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', variables: { input } }),
    });
    return response.json() as Promise<{ data?: any; errors?: GqlError[] }>;
  };

  it('refuses a malformed order at once with an error, and queues nothing', async () => {
    for (const bad of [
      { userId: '\u20ac'.repeat(100), items: [{ sku: 'PEN', quantity: 1 }] }, // 100 code points, 300 bytes
      { userId: 'u1', items: [{ sku: '\u{1f600}'.repeat(65), quantity: 1 }] },
      { userId: 'u1', items: [{ sku: 'PEN', quantity: 0 }] },
      { userId: 'u1', items: [{ sku: 'PEN', quantity: 1 }], delayMs: 60_000 },
    ]) {
      const body = await place(bad);
      expect(body.data?.placeOrder ?? null, JSON.stringify(bad)).toBeNull();
      expect(body.errors?.[0]?.message, JSON.stringify(bad)).toMatch(/inputSchema of orders/);
    }
    expect(await appHost.invocations.list()).toEqual([]);
  });

  it('queues a good order, which succeeds', async () => {
    const body = await place({ userId: 'u1', items: [{ sku: 'PEN', quantity: 2 }], delayMs: 0, failAttempts: 0 });
    expect(body.errors).toBeUndefined();
    const record = await appHost.invocations.waitForFinal(body.data.placeOrder.id);
    expect(record).toMatchObject({ status: 'SUCCEEDED', job: 'orders/placeOrder' });
    expect((await appHost.invocations.list()).map((r) => r.id)).toEqual([body.data.placeOrder.id]);
  });
});

describe('makeThumbnail', () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.from([0, 0, 0, 32, 0, 0, 0, 64]), Buffer.alloc(8)]);

  it('checks the bytes, not the uploaded content type', async () => {
    const before = (await finished('users/makeThumbnail', 0)).length;
    // Text sent as image/png: no thumbnail, and the user learns nothing.
    const text = await fetch(`${url}/buckets/avatars/users/u6.png`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: '<script>alert(1)</script>' });
    expect(text.status).toBe(200);
    const [skipped] = (await finished('users/makeThumbnail', before + 1)).slice(before);
    expect(skipped!.error).toBeUndefined();
    expect((await fetch(`${url}/buckets/avatars/thumbnails/u6.svg`)).status).toBe(404);
    expect((await gql('{ user(id: "u6") { avatarUrl thumbnailUrl } }')).data).toEqual({ user: { avatarUrl: null, thumbnailUrl: null } });
    // A real PNG with a misleading content type: the thumbnail says what it is.
    const real = await fetch(`${url}/buckets/avatars/users/u7.png`, { method: 'PUT', headers: { 'content-type': 'text/html" onload="alert(1)' }, body: png });
    expect(real.status).toBe(200);
    const [made] = (await finished('users/makeThumbnail', before + 2)).slice(before + 1);
    expect(made!.error).toBeUndefined();
    const svg = await (await fetch(`${url}/buckets/avatars/thumbnails/u7.svg`)).text();
    expect(svg).toMatch(/<image width="32" height="64" href="data:image\/png;base64,/);
    expect(svg).not.toContain('onload');
  });

  it('skips, with a logged reason, an avatar whose thumbnail would pass the bucket\'s limit', async () => {
    const before = (await finished('users/makeThumbnail', 0)).length;
    // 1.6 MB: under the bucket's 2 MB, but 4/3 of it as base64 is not.
    const big = Buffer.concat([png, Buffer.alloc(1_600_000 - png.length)]);
    expect((await fetch(`${url}/buckets/avatars/users/u8.png`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: big })).status).toBe(200);
    const [outcome] = (await finished('users/makeThumbnail', before + 1)).slice(before);
    expect(outcome!.error).toBeUndefined();
    const record = await host.invocations.waitForFinal(outcome!.requestId);
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.result!)).toEqual({
      thumbnails: [],
      skipped: [{ key: 'users/u8.png', reason: expect.stringMatching(/^the thumbnail would be \d+ bytes, over the bucket's 2097152/) }],
    });
    expect(record.logTail).toContain('users/u8.png: the thumbnail would be');
    expect((await fetch(`${url}/buckets/avatars/thumbnails/u8.svg`)).status).toBe(404);
    expect((await gql('{ user(id: "u8") { avatarUrl thumbnailUrl } }')).data).toEqual({ user: { avatarUrl: null, thumbnailUrl: null } });
  });
});

describe('the README describes the app as it is', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('uses no `npx neolith` (the package\'s own bin is not on PATH after npm ci)', () => {
    expect(readme).not.toMatch(/npx neolith/);
  });

  it('counts the functions of each layout in the compare table', () => {
    const domains = readdirSync(join(root, 'resolvers')).filter((d) => !d.startsWith('_') && statSync(join(root, 'resolvers', d)).isDirectory());
    const jobs = domains.flatMap((d) => readdirSync(join(root, 'resolvers', d)).filter((f) => /\.(ts|mts|js|mjs)$/.test(f)));
    expect(readme).toContain(`| functions today (11-27: 15, 5, 1) | ${jobs.length} | ${domains.length} | 1 |`);
  });

  it('lists every folder of runtime/ in Development', () => {
    const lines = readme.split('\n');
    const start = lines.findIndex((l) => l.startsWith('runtime/ '));
    const end = lines.findIndex((l, i) => i > start && !l.startsWith(' '));
    const listed = lines.slice(start, end).join(' ').split(/\s+/);
    for (const entry of readdirSync(join(root, 'runtime'))) {
      expect(listed).toContain(statSync(join(root, 'runtime', entry)).isDirectory() ? `${entry}/` : entry);
    }
  });
});
