import { afterEach, describe, expect, it } from 'vitest';
import { highWaterMarkOf, installAwsLambdaGlobal, isStreaming } from '../../../runtime/environment/awslambda-global.js';
import { HttpResponseStream } from '../../../runtime/environment/http-response-stream.js';
import { ResponseStream } from '../../../runtime/environment/response-stream.js';

/** A stream whose sink records what it is handed. */
function recording(limitBytes = 1024) {
  const sent: Uint8Array[] = [];
  const stream = new ResponseStream((bytes) => void sent.push(bytes), limitBytes);
  const text = () => Buffer.concat(sent).toString('utf8');
  return { stream, sent, text };
}

const ended = (stream: ResponseStream) => new Promise<void>((done) => stream.once('finish', () => done()));

describe('ResponseStream (the streaming handler’s responseStream)', () => {
  it('hands each write to the sink at once, in order, text as UTF-8 and other encodings decoded', () => {
    const { stream, sent, text } = recording();
    stream.write('héllo ');
    expect(sent).toHaveLength(1);
    stream.write(Buffer.from('wörld '));
    stream.write('IQ==', 'base64');
    expect(text()).toBe('héllo wörld !');
  });

  it('hands over a copy of its own: the writer’s buffer stays the writer’s, and no pooled buffer leaves', () => {
    const { stream, sent } = recording();
    const mine = Buffer.from('abc');
    stream.write(mine);
    mine[0] = 0x7a;
    expect(Buffer.from(sent[0]!).toString()).toBe('abc');
    stream.write('x');
    for (const bytes of sent) expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
  });

  it('paces a writer to what the host passed on: past the high mark write() returns false, and drain comes once the host released', async () => {
    const sent: string[] = [];
    let handed: () => void = () => undefined;
    const inFlight = new Int32Array(new SharedArrayBuffer(4));
    const stream = new ResponseStream((bytes) => {
      // As the thread's sink does: the buffer is transferred away (postMessage), leaving it empty here.
      sent.push(Buffer.from(structuredClone(bytes, { transfer: [bytes.buffer] })).toString());
      handed();
    }, 1024, 16, { inFlight, highBytes: 10 });
    expect(stream.write('a'.repeat(12))).toBe(true); // handed over at once; 12 bytes now wait in the host
    expect(stream.write('b'.repeat(12))).toBe(false); // the first write has not called back: this one waits here
    expect(sent).toEqual(['a'.repeat(12)]);
    const second = new Promise<void>((done) => (handed = done));
    Atomics.store(inFlight, 0, 0); // the host's client took the first chunk
    await second;
    expect(sent).toEqual(['a'.repeat(12), 'b'.repeat(12)]);
    const drained = new Promise<void>((done) => stream.once('drain', () => done()));
    Atomics.store(inFlight, 0, 0); // and the second
    await drained;
  });

  it('says the content type the handler set with the first chunk only', () => {
    const calls: Array<string | undefined> = [];
    const stream = new ResponseStream((_bytes, contentType) => void calls.push(contentType), 1024);
    stream.setContentType('text/plain');
    stream.write('one');
    stream.write('two');
    expect(calls).toEqual(['text/plain', undefined]);
  });

  it('calls back from end(undefined, callback) and end(null, callback), as Node\'s Writable does', async () => {
    for (const chunk of [undefined, null]) {
      const { stream } = recording();
      await new Promise<void>((done) => stream.end(chunk, () => done()));
      expect(stream.writableFinished).toBe(true);
    }
  });

  it('writes what is neither text nor bytes as JSON, as the runtime does', () => {
    const { stream, text } = recording();
    stream.write({ a: 1 });
    stream.write([2]);
    expect(text()).toBe('{"a":1}[2]');
  });

  it('takes a body given to end() alone through the same rules', async () => {
    const { stream, text } = recording();
    const done = ended(stream);
    stream.end({ last: true });
    await done;
    expect(text()).toBe('{"last":true}');
  });

  it('allows setContentType only before the first write', () => {
    const { stream } = recording();
    expect(stream.contentType).toBe('application/octet-stream');
    stream.setContentType('text/plain');
    expect(stream.contentType).toBe('text/plain');
    stream.write('x');
    expect(() => stream.setContentType('text/html')).toThrow(expect.objectContaining({
      name: 'Runtime.InvalidStreamingOperation', message: 'Cannot set content-type, too late.',
    }));
  });

  it('fails the write that passes the limit, sends none of it, and marks itself overflowed', async () => {
    const { stream, text } = recording(8);
    stream.write('12345');
    const failed = new Promise<Error>((done) => stream.once('error', done));
    stream.write('67890');
    const error = await failed;
    expect(error).toMatchObject({ name: 'Function.ResponseSizeTooLarge' });
    expect(stream.overflowed).toBe(true);
    expect(text()).toBe('12345');
  });
});

describe('HttpResponseStream.from', () => {
  it('sets the integration content type and writes the prelude and 8 NUL bytes before the first write', async () => {
    const { stream, text } = recording();
    const same = HttpResponseStream.from(stream, { statusCode: 404, headers: { a: 'b' } });
    expect(same).toBe(stream);
    expect(stream.contentType).toBe('application/vnd.awslambda.http-integration-response');
    const done = ended(stream);
    stream.write('body');
    stream.end(' end');
    await done;
    expect(text()).toBe(`{"statusCode":404,"headers":{"a":"b"}}${'\0'.repeat(8)}body end`);
  });

  it('writes no prelude when nothing is written (as the runtime)', async () => {
    const { stream, text } = recording();
    HttpResponseStream.from(stream, { statusCode: 200 });
    const done = ended(stream);
    stream.end();
    await done;
    expect(text()).toBe('');
  });

  it('names an empty body by the content type set: one empty chunk carries it at the end', async () => {
    const calls: Array<[number, string | undefined]> = [];
    const stream = new ResponseStream((bytes, contentType) => void calls.push([bytes.byteLength, contentType]), 1024);
    stream.setContentType('text/html');
    const done = ended(stream);
    stream.end();
    await done;
    expect(calls).toEqual([[0, 'text/html']]);
    // Nothing set: nothing to say, nothing sent (the host answers the default).
    const plain: unknown[] = [];
    const untyped = new ResponseStream((bytes) => void plain.push(bytes), 1024);
    const untypedDone = ended(untyped);
    untyped.end();
    await untypedDone;
    expect(plain).toEqual([]);
  });
});

describe('the awslambda global', () => {
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  afterEach(() => {
    delete scope.awslambda;
  });

  it('offers streamifyResponse, which marks a handler as streaming (with its highWaterMark) and returns it', () => {
    installAwsLambdaGlobal({});
    const streamify = scope.awslambda!.streamifyResponse as (h: unknown, o?: unknown) => unknown;
    const plain = async () => {};
    const marked = async () => {};
    expect(streamify(marked, { highWaterMark: 1024 })).toBe(marked);
    expect(isStreaming(marked)).toBe(true);
    expect(highWaterMarkOf(marked)).toBe(1024);
    expect(isStreaming(plain)).toBe(false);
    expect(highWaterMarkOf(plain)).toBeUndefined();
    expect(scope.awslambda!.HttpResponseStream).toBe(HttpResponseStream);
  });

  it('refuses a streaming mark other than Lambda’s "response", as the runtime does at init', () => {
    const handler = Object.assign(async () => {}, { [Symbol.for('aws.lambda.runtime.handler.streaming')]: 'request' });
    expect(() => isStreaming(handler)).toThrow(expect.objectContaining({ name: 'Runtime.MalformedStreamingHandler' }));
  });

  it('keeps what was there, and stays away with AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA', () => {
    scope.awslambda = { mine: 1 };
    installAwsLambdaGlobal({});
    expect(scope.awslambda).toMatchObject({ mine: 1, streamifyResponse: expect.any(Function) });
    delete scope.awslambda;
    installAwsLambdaGlobal({ AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA: 'true' });
    expect(scope.awslambda).toBeUndefined();
  });
});
