/**
 * How Lambda's Node.js runtime calls a (non-streaming) handler and reads its
 * answer (aws-lambda-nodejs-runtime-interface-client, `Runtime` and
 * `CallbackContext`), so real handlers behave here as they do there:
 *
 * - The handler always gets `(event, context, callback)`. A returned promise
 *   (any thenable) answers when it settles; any other return value is ignored.
 * - `callback(error)` fails at once. `callback(null, result)` answers once the
 *   event loop is empty, unless `context.callbackWaitsForEmptyEventLoop` was
 *   set to false by then: a timer or socket left open holds the answer until
 *   the timeout, the reason that flag exists.
 * - `context.done`, `succeed` and `fail` answer at once; `fail()` with no
 *   error fails as "handled".
 * - The first answer wins; later ones are ignored.
 * - Nothing answered when the loop empties: an `async` handler fails with
 *   `Runtime.NodeJsExit` (a promise that never settles); any other ends with
 *   a null result (a sync handler that returned a value, or forgot the callback).
 */
import { cancelDrain, onDrain } from './event-loop-drain.js';

export type Callback = (error?: unknown, result?: unknown) => void;
export type Handler = (event: unknown, context: LambdaContext, callback: Callback) => unknown;

export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  clientContext?: unknown;
  identity?: unknown;
  getRemainingTimeInMillis(): number;
  done?: Callback;
  succeed?: (result?: unknown) => void;
  fail?: (error?: unknown) => void;
}

/** Lambda's failure for an async handler whose promise was still pending when nothing was left to run. */
export class NodeJsExit extends Error {
  constructor() {
    super('The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes');
  }
}
// On the prototype, as the runtime's own error classes: the stack is headed by it.
NodeJsExit.prototype.name = 'Runtime.NodeJsExit';

const isFailure = (error: unknown): boolean => error !== undefined && error !== null;

/**
 * Calls `fn` and resolves with its answer, or rejects with its failure (the
 * value as given: the caller shapes it). Adds the callback members to `context`.
 */
export function callHandler(fn: Handler, event: unknown, context: LambdaContext): Promise<unknown> {
  const isAsync = fn.constructor?.name === 'AsyncFunction';
  return new Promise((resolve, reject) => {
    let answered = false;
    const settle = (error: unknown, result: unknown): void => {
      cancelDrain(whenDrained);
      if (isFailure(error)) reject(error);
      else resolve(result);
    };
    // Until something answers: the runtime's default listener for an empty loop. It answers a turn
    // later, never inside the 'beforeExit' emit: the answer leads to the next request, and one that
    // needed the loop to empty again would find Node past its check and the thread ending.
    let whenDrained = (): void => {
      answered = true;
      setImmediate(() => (isAsync ? reject(new NodeJsExit()) : resolve(null)));
    };
    const first = <A extends unknown[]>(answer: (...args: A) => void) => (...args: A): void => {
      if (answered) return;
      answered = true;
      answer(...args);
    };
    const callback = first((error?: unknown, result?: unknown) => {
      // Read when called (a plain property: an accessor per call costs ~7 µs in V8's slow path).
      if (isFailure(error) || !context.callbackWaitsForEmptyEventLoop) return settle(error, result);
      cancelDrain(whenDrained);
      // A turn after the loop emptied, as the runtime does (setImmediate in its listener).
      whenDrained = () => setImmediate(() => resolve(result));
      onDrain(whenDrained);
    });
    context.done = first(settle);
    context.succeed = first((result?: unknown) => settle(null, result));
    context.fail = first((error?: unknown) => settle(isFailure(error) ? error : 'handled', null));
    onDrain(whenDrained);
    let returned: unknown;
    try {
      returned = fn(event, context, callback);
    } catch (error) {
      // As the runtime: a synchronous throw goes to the callback (so `throw undefined` is no failure).
      callback(error);
      return;
    }
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function')
      && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as PromiseLike<unknown>).then(context.succeed, context.fail);
    }
  });
}
