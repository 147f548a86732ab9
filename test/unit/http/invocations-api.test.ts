import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError, ResourceNotFoundError } from '../../../runtime/errors/index.js';
import { invocationsApi, type RequestContext } from '../../../runtime/http/index.js';
import type { InvocationRecords } from '../../../runtime/invoke/index.js';

/** Records that remember each query they were asked and hold nothing. */
function fakeRecords() {
  const queries: Array<{ what: string; query: unknown }> = [];
  const records = {
    listWithin: async (query: unknown) => (queries.push({ what: 'invocations', query }), { records: [], leftOut: [] }),
    deadLetters: { listWithin: async (query: unknown) => (queries.push({ what: 'dead letters', query }), { letters: [], leftOut: [] }) },
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
  /** Records whose list pages answer `entries`, leaving `leftOut` out, and remember each budget asked. */
  function budgeted(entries: Array<{ id: string; functionName: string; event?: unknown }>, leftOut: string[]) {
    const budgets: number[] = [];
    const records = {
      listWithin: async (_query: unknown, maxBytes: number) => (budgets.push(maxBytes), { records: entries, leftOut }),
      deadLetters: { listWithin: async (_query: unknown, maxBytes: number) => (budgets.push(maxBytes), { letters: entries, leftOut }) },
    } as unknown as InvocationRecords;
    return { records, budgets };
  }
  const entry = { id: 'newest', functionName: 'f', event: { functionName: 'f' } };

  it.each([
    { path: '/dead-letters', key: 'deadLetters', what: 'letters' },
    { path: '/invocations', key: 'invocations', what: 'records' },
  ])('$path passes maxListBytes (16 MB by default) and names the entries it left out', async ({ path, key, what }) => {
    const whole = budgeted([entry], []);
    const page = contextOf(path);
    await invocationsApi(whole.records)(page.ctx);
    expect(page.sent()).toEqual({ status: 200, body: { [key]: [entry] } });
    expect(whole.budgets).toEqual([16 * 1024 * 1024]);

    const cut = budgeted([entry], ['older-1', 'older-2']);
    const short = contextOf(`${path}?limit=1000`);
    await invocationsApi(cut.records, { maxListBytes: 1000 })(short.ctx);
    expect(short.sent()).toEqual({
      status: 200,
      body: {
        [key]: [entry], truncated: true, leftOut: ['older-1', 'older-2'],
        message: `${what} past 1000 bytes were left out of this page: read each by id (leftOut), or narrow it with a filter`,
      },
    });
    expect(cut.budgets).toEqual([1000]);
  });

  it('a page that holds all it asked for is not truncated, whatever lay past it', async () => {
    const { records } = budgeted([entry], ['older']);
    const full = contextOf('/dead-letters?limit=1');
    await invocationsApi(records, { maxListBytes: 10 })(full.ctx);
    expect(full.sent().body).toEqual({ deadLetters: [entry] });
  });

  it('names no ids to a caller who may not read every function: they could be ones it may not see', async () => {
    const { records } = budgeted([entry], ['hidden-or-not']);
    const { ctx, sent } = contextOf('/invocations');
    ctx.canRead = () => true;
    await invocationsApi(records, { maxListBytes: 10 })(ctx);
    expect(sent().body).toEqual({ invocations: [entry], truncated: true, message: 'records past 10 bytes were left out of this page: narrow it with a filter' });
  });
});

describe('invocationsApi: the limit', () => {
  it('takes plain whole numbers from 1 to 1000 on both lists, 100 when none is given', async () => {
    const { records, queries } = fakeRecords();
    const route = invocationsApi(records);
    for (const path of ['/dead-letters', '/invocations']) {
      for (const limit of ['1', '0007', '1000']) await route(contextOf(`${path}?limit=${limit}`).ctx);
      await route(contextOf(path).ctx);
    }
    expect(queries.map((q) => (q.query as { limit: number }).limit)).toEqual([1, 7, 1000, 100, 1, 7, 1000, 100]);
  });

  it('refuses anything else with 400 InvalidParameterValueException, before the backend is asked', async () => {
    const { records, queries } = fakeRecords();
    const route = invocationsApi(records);
    for (const path of ['/dead-letters', '/invocations']) {
      for (const limit of ['', '0', '1001', '-1', '1.5', ' 5', '5 ', '0x10', '1e2', 'Infinity', 'NaN', '9'.repeat(5000)]) {
        const call = route(contextOf(`${path}?limit=${encodeURIComponent(limit)}`).ctx);
        await expect(call, `${path} ${JSON.stringify(limit.slice(0, 10))}`).rejects.toMatchObject({
          code: 'InvalidParameterValueException',
          message: `limit must be an integer from 1 to 1000 (got ${JSON.stringify(limit.slice(0, 32))})`,
        });
      }
    }
    expect(queries).toEqual([]);
  });
});
