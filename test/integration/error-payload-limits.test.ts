// A function's error payload is held to its response limit (6 MB), as Lambda holds it: past it the
// caller gets Function.ResponseSizeTooLarge, small, wherever the error goes — the Invoke API's body,
// an Event's record and dead letter, a batch item, a response stream, an init failure, a dying
// thread's uncaught exception. Through a real host on a real port, with handlers of this file's own.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host, type LambdaErrorPayload } from '../../runtime/index.js';
import { tempDir } from '../support/temp-dir.js';

const MB6 = 6 * 1024 * 1024;
/** The one error a payload past the limit becomes, whose message says how big it was. */
const tooLarge = (errorType: string, bytes: number): LambdaErrorPayload => ({
  errorType: 'Function.ResponseSizeTooLarge',
  errorMessage: `Response payload size exceeded maximum allowed payload size (${MB6} bytes): the function's error (${errorType}) is ${bytes} bytes.`,
  trace: [],
});

const HANDLERS = `
// event.chars of event.char (one byte each) in the message, which the stack repeats.
export const throwsSized = async (event) => {
  throw new Error((event.char ?? 'x').repeat(event.chars));
};
// Error-shaped (string name, message, stack): its payload is these three alone, so its size is known to the byte.
export const throwsShaped = async (event) => {
  throw { name: 'Shaped', message: 'x'.repeat(event.chars), stack: 'at' };
};
export const throwsTyped = async () => {
  const error = new Error('typed');
  error.name = 'T'.repeat(1_000_000);
  throw error;
};
export const throwsSmall = async () => {
  throw new TypeError('a small failure');
};
export const hugeStack = async () => {
  const error = new Error('short');
  error.stack = 'Error: short\\n' + '    at frame (file:///far/away.mjs:1:1)\\n'.repeat(200_000);
  throw error;
};
// Background work throws once the handler is waiting: the thread dies with it, and the host makes the payload.
export const backgroundThrows = async () => {
  setImmediate(() => {
    throw new Error('y'.repeat(8e6));
  });
  return new Promise(() => {});
};
export const streams = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial;');
  throw new Error('z'.repeat(8e6));
});
// The thread's own count runs beside the handler's code, which can break it: the host counts again.
export const breaksTheCount = async () => {
  Buffer.byteLength = () => 0;
  throw new Error('v'.repeat(8e6));
};
export const items = async (event) => {
  if (event.big) throw new Error('w'.repeat(8e6));
  if (event.small) throw new RangeError('small');
  if (event.declined) return { errorMessage: 'card declined' };
  return { n: event.n };
};
`;

const dir = tempDir();
const handlers = join(dir.path, 'handlers');
let host: Host;
let url: string;

interface Answer {
  status: number;
  functionError: string | null;
  body: string;
}

/** POSTs `event` to the Invoke API (RequestResponse). */
async function invoke(name: string, event: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${url}/2015-03-31/functions/${name}/invocations`, { method: 'POST', body: JSON.stringify(event) });
  return { status: response.status, functionError: response.headers.get('x-amz-function-error'), body: await response.text() };
}

beforeAll(async () => {
  mkdirSync(handlers);
  writeFileSync(join(handlers, 'errors.mjs'), HANDLERS);
  writeFileSync(join(handlers, 'init-fails.mjs'), `throw new Error('i'.repeat(8e6));\nexport const handler = async () => 'never';\n`);
  host = await createHost({
    rootDir: handlers,
    logger: { level: 'silent' },
    config: {
      stateDir: join(dir.path, 'state'),
      functions: {
        throwsSized: { handler: './errors.mjs#throwsSized' },
        throwsShaped: { handler: './errors.mjs#throwsShaped' },
        throwsTyped: { handler: './errors.mjs#throwsTyped' },
        throwsSmall: { handler: './errors.mjs#throwsSmall' },
        hugeStack: { handler: './errors.mjs#hugeStack' },
        backgroundThrows: { handler: './errors.mjs#backgroundThrows', timeoutMs: 10_000 },
        streams: { handler: './errors.mjs#streams' },
        items: { handler: './errors.mjs#items' },
        breaksTheCount: { handler: './errors.mjs#breaksTheCount' },
        initFails: { handler: './init-fails.mjs' },
        eventThrows: { handler: './errors.mjs#throwsSized', async: { maxRetries: 0 } },
      },
    },
  });
  ({ url } = await host.listen({ port: 0 }));
});

afterAll(async () => {
  await host?.close();
  dir.remove();
});

describe('a synchronous invoke', () => {
  it('an 8 MB message (16 MB of payload with its stack) answers Function.ResponseSizeTooLarge, small', async () => {
    const answer = await invoke('throwsSized', { chars: 8e6 });
    expect(answer).toMatchObject({ status: 200, functionError: 'Unhandled' });
    expect(Buffer.byteLength(answer.body)).toBeLessThan(300);
    const error = JSON.parse(answer.body) as LambdaErrorPayload;
    expect(error).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge', trace: [] });
    // The message counts both copies of the text: errorMessage and the stack's first line.
    const [, bytes] = /the function's error \(Error\) is (\d+) bytes\.$/.exec(error.errorMessage)!;
    expect(Number(bytes)).toBeGreaterThan(16e6);
  });

  it('an error under the limit is answered as it was thrown', async () => {
    const answer = await invoke('throwsSmall', {});
    expect(answer).toMatchObject({ status: 200, functionError: 'Unhandled' });
    const error = JSON.parse(answer.body) as LambdaErrorPayload;
    expect(error).toMatchObject({ errorType: 'TypeError', errorMessage: 'a small failure' });
    expect(error.trace[0]).toBe('TypeError: a small failure');
    expect(error.trace[1]).toMatch(/^ {4}at throwsSmall \(file:.*errors\.mjs:\d+:\d+\)$/);

    const sized = await invoke('throwsSized', { chars: 100_000 });
    expect(JSON.parse(sized.body)).toMatchObject({ errorType: 'Error', errorMessage: 'x'.repeat(100_000) });
  });

  it('an error of exactly 6 MB is answered whole; a byte more is Function.ResponseSizeTooLarge', async () => {
    const frame = Buffer.byteLength(JSON.stringify({ errorType: 'Shaped', errorMessage: '', trace: ['at'] }));
    const exact = await invoke('throwsShaped', { chars: MB6 - frame });
    expect(exact.functionError).toBe('Unhandled');
    expect(Buffer.byteLength(exact.body)).toBe(MB6);
    expect(JSON.parse(exact.body)).toEqual({ errorType: 'Shaped', errorMessage: 'x'.repeat(MB6 - frame), trace: ['at'] });

    const over = await invoke('throwsShaped', { chars: MB6 - frame + 1 });
    expect(over.functionError).toBe('Unhandled');
    expect(JSON.parse(over.body)).toEqual(tooLarge('Shaped', MB6 + 1));
  });

  it('a giant stack under a short message is counted too', async () => {
    const answer = await invoke('hugeStack', {});
    const error = JSON.parse(answer.body) as LambdaErrorPayload;
    expect(error.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(error.errorMessage).toContain("the function's error (Error) is");
  });

  it('a giant errorType is cut to 256 characters; the rest of the error stays', async () => {
    const answer = await invoke('throwsTyped', {});
    expect(answer.functionError).toBe('Unhandled');
    const error = JSON.parse(answer.body) as LambdaErrorPayload;
    expect(error.errorType).toBe('T'.repeat(256));
    expect(error.errorMessage).toBe('typed');
    // V8 writes the stack's first line when it is first read, with the name set by then: the trace
    // keeps it whole (1 MB is under the limit), as the stack is the handler's to report.
    expect(error.trace[0]!.length).toBe(1_000_000 + ': typed'.length);
    expect(error.trace[0] === `${'T'.repeat(1_000_000)}: typed`).toBe(true);
  });

  it('the environment that threw is kept: an oversize error is no fault of the environment', async () => {
    await invoke('throwsSized', { chars: 8e6 });
    await invoke('throwsSized', { chars: 8e6 });
    expect(host.registry.get('throwsSized')!.pool.stats()).toMatchObject({ environments: 1, created: 1, busy: 0 });
  });
});

describe('errors the thread never serialises', () => {
  it('an uncaught exception in background work, which ends the thread, is bounded by the host', async () => {
    const result = await host.invoke('backgroundThrows', {});
    expect(result.functionError).toBe('Unhandled');
    expect(Buffer.byteLength(result.payload!)).toBeLessThan(300);
    expect(result.error).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge', trace: [] });
    expect(result.error!.errorMessage).toContain("the function's error (Error) is");
  });

  it('a handler that broke the thread\'s count (Buffer.byteLength replaced) is still bounded, by the host', async () => {
    const answer = await invoke('breaksTheCount', {});
    expect(answer.functionError).toBe('Unhandled');
    expect(Buffer.byteLength(answer.body)).toBeLessThan(300);
    expect(JSON.parse(answer.body)).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge', trace: [] });
  });

  it('an init that throws an 8 MB error fails the invocation with a small one', async () => {
    const result = await host.invoke('initFails', {});
    expect(result.functionError).toBe('Unhandled');
    expect(Buffer.byteLength(result.payload!)).toBeLessThan(300);
    expect(result.error).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge', trace: [] });
  });
});

describe('every way an error leaves', () => {
  it('an Event: its record and its dead letter hold the small error', async () => {
    const accepted = await host.invoke('eventThrows', { chars: 8e6 }, { type: 'Event' });
    const record = await host.invocations.waitForFinal(accepted.requestId);
    expect(JSON.stringify(record).length).toBeLessThan(16_384);
    expect(record).toMatchObject({ status: 'FAILED', attempts: 1, error: { errorType: 'Function.ResponseSizeTooLarge' } });
    // Routed before the record is stored final: the letter is there once the record is.
    const [letter] = (await host.invocations.deadLetters.list({ functionName: 'eventThrows' })).filter((d) => d.event.requestId === accepted.requestId);
    expect(JSON.stringify(letter).length).toBeLessThan(16_384);
    expect(letter).toMatchObject({ condition: 'RetriesExhausted', error: { errorType: 'Function.ResponseSizeTooLarge' } });
    expect(JSON.parse(letter!.destinationRecord!)).toMatchObject({ responsePayload: { errorType: 'Function.ResponseSizeTooLarge' } });
  });

  it('a batch: the item that threw 8 MB fails alone, as its own invocation would; the others answer', async () => {
    const result = await host.invoke('items', [{ n: 1 }, { big: true }, { small: true }, { n: 4 }, { declined: true }], { batch: true });
    expect(result.functionError).toBeUndefined();
    expect(Buffer.byteLength(result.payload!)).toBeLessThan(1_000);
    const answers = JSON.parse(result.payload!) as unknown[];
    expect(answers[0]).toEqual({ n: 1 });
    expect(answers[1]).toEqual({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: expect.stringContaining("the function's error (Error) is") });
    expect(answers[2]).toEqual({ errorType: 'RangeError', errorMessage: 'small' });
    expect(answers[3]).toEqual({ n: 4 });
    // An answer shaped like an error is an answer: only the items that threw are named as failed.
    expect(answers[4]).toEqual({ errorMessage: 'card declined' });
    expect(result.itemErrors).toEqual([1, 2]);
  });

  it('a response stream: the chunks written stay delivered, and the error that ends it is small', async () => {
    const chunks: string[] = [];
    const result = await host.invoker.invokeWithResponseStream('streams', {}, (bytes, release) => {
      chunks.push(Buffer.from(bytes).toString('utf8'));
      release();
    });
    expect(chunks).toEqual(['partial;']);
    expect(result.functionError).toBe('Unhandled');
    expect(Buffer.byteLength(JSON.stringify(result.error))).toBeLessThan(300);
    expect(result.error).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge', trace: [] });
  });
});
