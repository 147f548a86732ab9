/**
 * AppSync's Direct Lambda event, as every reference-app job receives it.
 * Kept here (not imported from the runtime) because jobs are user code: they
 * depend on the event's shape, not on neolith.
 */
export interface AppSyncEvent<A = Record<string, unknown>, S = Record<string, unknown>> {
  arguments: A;
  source: S | null;
  identity: { sub: string; issuer: string; claims: Record<string, unknown> } | null;
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
