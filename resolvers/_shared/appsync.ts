/**
 * AppSync's Direct Lambda event, as every reference-app job receives it.
 * Kept here (not imported from the runtime) because jobs are user code: they
 * depend on the event's shape, not on neolith.
 */
export interface AppSyncEvent<A = Record<string, unknown>, S = Record<string, unknown>> {
  arguments: A;
  source: S | null;
  /** A JWT's OIDC identity (`sub`, `issuer`, `claims`), a SigV4 principal's IAM identity (`accountId`, `userArn`, no `sub`), or null when anonymous. */
  identity: { sub?: string; issuer?: string; claims?: Record<string, unknown>; username?: string; accountId?: string; userArn?: string } | null;
  request: { headers: Record<string, string> };
  info: {
    fieldName: string;
    parentTypeName: string;
    variables: Record<string, unknown>;
    selectionSetList: string[];
    selectionSetGraphQL: string;
  };
}

/** The subset of Lambda's context the reference app reads. */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis(): number;
}

/** An error whose name becomes the GraphQL error's `extensions.errorType`. */
export class AppError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * One failed item of a batch, as AppSync's BatchInvoke takes it in the answer
 * array: `{ errorType, errorMessage }` fails that item's field alone.
 */
export class ItemError {
  readonly errorType: string;
  readonly errorMessage: string;
  constructor(errorType: string, errorMessage: string) {
    this.errorType = errorType;
    this.errorMessage = errorMessage;
  }
}

/** `fn()`, or its `AppError` as an item's error. Any other error is thrown: it fails the whole batch. */
export function attempt<R>(fn: () => R): R | ItemError {
  try {
    return fn();
  } catch (error) {
    if (error instanceof AppError) return new ItemError(error.name, error.message);
    throw error;
  }
}

/**
 * A batch-aware job's handler (`export const batch = true`). `resolve` answers
 * an array of events in order, an item's failure as an `ItemError`. AppSync
 * sends the array for BatchInvoke and one event for a plain Invoke (and so do
 * the CLI and the Invoke API with a single context): given one event, the
 * handler answers one result, or throws that item's error.
 */
export function batchHandler<E, R>(resolve: (events: E[]) => Promise<Array<R | ItemError>>) {
  return async (event: E | E[]): Promise<Array<R | ItemError> | R> => {
    if (Array.isArray(event)) return resolve(event);
    const [result] = await resolve([event]);
    if (result instanceof ItemError) throw new AppError(result.errorType, result.errorMessage);
    return result as R;
  };
}

/** Lambda's response limit is 6 MB; a batched answer stays under 5 MB to leave room for the rest of the payload. */
export const RESPONSE_BUDGET_BYTES = 5 * 1024 * 1024;

/**
 * Keeps a batch's answer under `maxBytes` of JSON: items are answered in
 * order while they fit, and one that does not fit fails alone with
 * `ResponseTooLarge` — rather than the whole batch failing with Lambda's
 * `Function.ResponseSizeTooLarge`.
 */
export function withinBudget<R>(results: Array<R | ItemError>, maxBytes = RESPONSE_BUDGET_BYTES): Array<R | ItemError> {
  let used = 2; // the brackets
  return results.map((result) => {
    if (result instanceof ItemError) return result;
    const size = Buffer.byteLength(JSON.stringify(result) ?? 'null') + 1;
    if (used + size <= maxBytes) {
      used += size;
      return result;
    }
    return new ItemError('ResponseTooLarge', `the answer to this batch would pass ${maxBytes} bytes (Lambda answers at most 6 MB): ask for a smaller limit or fewer parents`);
  });
}
