/**
 * Thread side: the `awslambda` global Lambda's Node runtime gives handler
 * modules (`setupGlobals` and `UserFunctionLoader` in
 * aws-lambda-nodejs-runtime-interface-client), and how a loaded handler says
 * it streams its response.
 */
import { HttpResponseStream } from './http-response-stream.js';
import { runtimeError } from './response-stream.js';

/** The runtime's marks on a handler; `Symbol.for`, so a bundled copy of the helpers marks alike. */
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
/** The one streaming mode Lambda has. */
const STREAM_RESPONSE = 'response';

type Marked = ((...args: never[]) => unknown) & { [HANDLER_STREAMING]?: unknown; [HANDLER_HIGHWATERMARK]?: unknown };

/**
 * Defines `globalThis.awslambda` (keeping what a module put there before),
 * unless the environment sets the runtime's escape hatch
 * `AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA` to `1` or `true`.
 */
export function installAwsLambdaGlobal(env: Record<string, string | undefined>): void {
  const off = env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (off === '1' || off === 'true') return;
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  scope.awslambda = { ...scope.awslambda, streamifyResponse, HttpResponseStream };
}

/**
 * `awslambda.streamifyResponse(handler, { highWaterMark }?)`: marks the
 * handler as streaming and returns it, so it is called as
 * `(event, responseStream, context)`.
 */
function streamifyResponse<H extends Marked>(handler: H, options?: { highWaterMark?: number }): H {
  handler[HANDLER_STREAMING] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = parseInt(String(options.highWaterMark), 10);
  return handler;
}

/** Whether a loaded handler streams its response; a mark other than Lambda's fails init, as in the runtime. */
export function isStreaming(handler: unknown): boolean {
  const mark = (handler as Marked)[HANDLER_STREAMING];
  if (!mark) return false;
  if (mark === STREAM_RESPONSE) return true;
  throw runtimeError('Runtime.MalformedStreamingHandler', 'Only response streaming is supported.');
}

/** The `highWaterMark` a streaming handler asked for, if any. */
export function highWaterMarkOf(handler: unknown): number | undefined {
  const mark = (handler as Marked)[HANDLER_HIGHWATERMARK];
  if (!mark) return undefined;
  const value = Number(mark);
  return Number.isNaN(value) ? undefined : value;
}
