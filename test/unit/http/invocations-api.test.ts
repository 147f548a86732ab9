import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError, ResourceNotFoundError } from '../../../runtime/errors/index.js';
import { invocationsApi, type RequestContext } from '../../../runtime/http/index.js';
import type { InvocationRecords } from '../../../runtime/invoke/index.js';

/** Records that remember each query they were asked and hold nothing. */
function fakeRecords() {
  const queries: Array<{ what: string; query: unknown }> = [];
  const records = {
    listWithin: async (query: unknown) => (queries.push({ what: 'invocations', query }), { records: [], truncated: false }),
    deadLetters: { listWithin: async (query: unknown) => (queries.push({ what: 'dead letters', query }), { letters: [], truncated: false }) },
  } as unknown as InvocationRecords;
  return { records, queries };
}

function contextOf(path: string): { ctx: RequestContext; sent: () => { status: number; body: unknown } } {
  let status = 0;
  let text = '';
  const req = { method: 'GET', headers: {} } as IncomingMessage;
  const res = {
    req,
    writeHead(s: number) {
      status = s;
      return this;
    },
    end(body?: string) {
      text = body ?? '';
    },
  } as unknown as ServerResponse;
  const ctx: RequestContext = {
    req, res, url: new URL(path, 'http://localhost'), requestId: 'r1', signal: new AbortController().signal,
  };
  return { ctx, sent: () => ({ status, body: JSON.parse(text) as unknown }) };
}

describe('invocationsApi: the function filter', () => {
  it('refuses a name no function can have on /dead-letters and /invocations, with 400 InvalidParameterValueException', async () => {
    const { records, queries } = fakeRecords();
    const route = invocationsApi(records);
    for (const path of ['/dead-letters', '/invocations']) {
      for (const name of ['x'.repeat(5000), 'x'.repeat(65), 'a b', '../etc', 'a\u0000b', 'é']) {
        const { ctx } = contextOf(`${path}?function=${encodeURIComponent(name)}`);
        const call = route(ctx);
        await expect(call, `${path} ${name.slice(0, 10)}`).rejects.toBeInstanceOf(InvalidParameterValueError);
        await expect(call).rejects.toMatchObject({ code: 'InvalidParameterValueException', message: expect.stringMatching(/^function must be a function name of 1 to 64 letters, digits, "-" or "_" \(got /) });
      }
    }
    // Refused before the backend was asked anything.
    expect(queries).toEqual([]);
  });

  it('says how long a long name was without echoing all of it', async () => {
    const { ctx } = contextOf(`/dead-letters?function=${'x'.repeat(5000)}`);
    const error = await Promise.resolve(invocationsApi(fakeRecords().records)(ctx)).catch((e: unknown) => e) as Error;
    expect(error.message).toBe(`function must be a function name of 1 to 64 letters, digits, "-" or "_" (got "${'x'.repeat(64)}", 5000 characters)`);
  });

  it('passes a well-formed name, and no filter for none', async () => {
    const { records, queries } = fakeRecords();
    const route = invocationsApi(records);
    for (const path of ['/dead-letters?function=resize-image_2', '/invocations?function=resize-image_2', '/dead-letters', '/dead-letters?function=']) {
      const { ctx, sent } = contextOf(path);
      expect(await route(ctx)).toBe(true);
      expect(sent().status).toBe(200);
    }
    expect(queries).toEqual([
      { what: 'dead letters', query: { limit: 100, functionName: 'resize-image_2' } },
      { what: 'invocations', query: { limit: 100, functionName: 'resize-image_2' } },
      { what: 'dead letters', query: { limit: 100 } },
      { what: 'dead letters', query: { limit: 100 } },
    ]);
  });

  it('resolves names with resolveFunction when given (ARN → function, unknown ARN → 404, a removed function\'s plain name as given)', async () => {
    const { records, queries } = fakeRecords();
    const resolveFunction = (name: string) => {
      if (name === 'arn:aws:lambda:us-east-1:111111111111:function:echo') return 'echo';
      throw new ResourceNotFoundError(`Function not found: ${name}`);
    };
    const route = invocationsApi(records, { resolveFunction });
    const { ctx } = contextOf(`/dead-letters?function=${encodeURIComponent('arn:aws:lambda:us-east-1:111111111111:function:echo')}`);
    await route(ctx);
    expect(queries).toEqual([{ what: 'dead letters', query: { limit: 100, functionName: 'echo' } }]);
    await expect(route(contextOf(`/dead-letters?function=${encodeURIComponent('arn:aws:lambda:us-east-1:111111111111:function:gone')}`).ctx)).rejects.toBeInstanceOf(ResourceNotFoundError);
    // Dead letters of a function no longer configured are still listed by its name.
    await route(contextOf('/dead-letters?function=gone').ctx);
    expect(queries.at(-1)).toEqual({ what: 'dead letters', query: { limit: 100, functionName: 'gone' } });
  });
});

describe('invocationsApi: list pages within a size budget', () => {
  it.each([
    { path: '/dead-letters', key: 'deadLetters', what: 'letters', fake: (entries: unknown[], truncated: boolean) => ({ deadLetters: { listWithin: async () => ({ letters: entries, truncated }) } }) },
    { path: '/invocations', key: 'invocations', what: 'records', fake: (entries: unknown[], truncated: boolean) => ({ listWithin: async () => ({ records: entries, truncated }) }) },
  ])('$path passes maxListBytes (16 MB by default) and says when entries were left out', async ({ path, key, what, fake }) => {
    const budgets: number[] = [];
    const recordsOf = (truncated: boolean) => {
      const face = fake([{ id: 'newest' }], truncated) as Record<string, unknown>;
      const owner = (key === 'deadLetters' ? face.deadLetters : face) as { listWithin: (q: unknown, maxBytes: number) => Promise<unknown> };
      const listWithin = owner.listWithin;
      owner.listWithin = async (q: unknown, maxBytes: number) => (budgets.push(maxBytes), listWithin(q, maxBytes));
      return face as unknown as InvocationRecords;
    };
    const whole = contextOf(path);
    await invocationsApi(recordsOf(false))(whole.ctx);
    expect(whole.sent()).toEqual({ status: 200, body: { [key]: [{ id: 'newest' }] } });
    const cut = contextOf(`${path}?limit=1000`);
    await invocationsApi(recordsOf(true), { maxListBytes: 1000 })(cut.ctx);
    expect(cut.sent()).toEqual({
      status: 200,
      body: { [key]: [{ id: 'newest' }], truncated: true, message: expect.stringMatching(new RegExp(`^${what} past 1000 bytes were left out .* read each by id`)) },
    });
    expect(budgets).toEqual([16 * 1024 * 1024, 1000]);
  });
});
