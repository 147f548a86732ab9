import { makeExecutableSchema } from '@graphql-tools/schema';
import {
  getDirectiveValues, getNullableType, GraphQLError, GraphQLScalarType, isInterfaceType, isObjectType, parse, Source, valueFromASTUntyped,
  type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema,
} from 'graphql';
import { ConfigError } from '../errors/index.js';
import type { AsyncInvocations } from './async-invocations.js';
import { directLambdaEvent } from './direct-lambda-event.js';
import { withOneByteNames } from './one-byte-names.js';
import { toGraphqlError } from './gateway-errors.js';
import type { GatewayHost } from './gateway-host.js';
import type { GatewayIdentity } from './identity-verifier.js';
import { DEFAULT_MAX_BATCH_SIZE, MAX_BATCH_SIZE, type FieldBinding, type RequestLoaders } from './request-loaders.js';

/** What the gateway adds to every schema: the `@fn` directive and the async invocation types. */
export const GATEWAY_SDL = /* GraphQL */ `
  "Binds a field to a job (or plain function). The job receives AppSync's Direct Lambda event."
  directive @fn(
    "Job address (users/getUser) or function name."
    job: String!
    "REQUEST_RESPONSE waits for the result; EVENT queues it and returns an Invocation at once."
    invocation: FnInvocation = REQUEST_RESPONSE
    "Most calls sent in one batched invocation (default 100, max 2000)."
    maxBatchSize: Int
  ) on FIELD_DEFINITION

  enum FnInvocation { REQUEST_RESPONSE EVENT }

  "Any JSON value."
  scalar JSON

  enum InvocationStatus { QUEUED RUNNING SUCCEEDED FAILED EXPIRED }

  type InvocationError { errorType: String! errorMessage: String! }

  "An async (Event) invocation: answered at once, finished later."
  type Invocation {
    id: ID!
    status: InvocationStatus!
    function: String!
    job: String
    "Number of the current or last attempt; 0 while queued."
    attempts: Int!
    createdAt: String!
    updatedAt: String!
    "The function's result once SUCCEEDED."
    result: JSON
    "The last failed attempt's error."
    error: InvocationError
  }

  type Query {
    "An async invocation started by this caller (null when unknown or not yours)."
    invocation(id: ID!): Invocation
  }

  type Subscription {
    "Pushes each status change of an async invocation until it is final."
    invocation(id: ID!): Invocation!
  }
`;

/** Per-request state the resolvers read from the GraphQL context. */
export interface RequestScope {
  identity: GatewayIdentity | null;
  headers: Record<string, string>;
  loaders: RequestLoaders;
}

/** The GraphQL context of a gateway request. */
export interface GatewayContext {
  neolith: RequestScope;
}

// Hand-written rather than graphql-scalars: one scalar, a dozen lines.
const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

/** One SDL file. */
export interface SdlFile {
  name: string;
  text: string;
}

/**
 * Builds the executable schema: parses the SDL, adds the gateway's own
 * types, and gives every `@fn` field a resolver that invokes its job.
 * Every binding mistake is reported at once with the field's coordinate.
 */
export function bindFunctions(
  files: readonly SdlFile[], host: GatewayHost, invocations: AsyncInvocations,
): { schema: GraphQLSchema; bindings: FieldBinding[] } {
  const problems: string[] = [];
  const documents: DocumentNode[] = [];
  for (const file of files) {
    try {
      documents.push(withOneByteNames(parse(new Source(file.text, file.name))));
    } catch (error) {
      problems.push(`${file.name}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `schema ${p}`));
  let schema: GraphQLSchema;
  try {
    schema = makeExecutableSchema({
      typeDefs: [GATEWAY_SDL, ...documents],
      resolvers: {
        JSON: JSONScalar,
        Query: {
          invocation: (_: unknown, args: { id: string }, ctx: GatewayContext) => invocations.read(args.id, ctx.neolith.identity),
        },
        Subscription: {
          invocation: {
            subscribe: (_: unknown, args: { id: string }, ctx: GatewayContext) => invocations.watch(args.id, ctx.neolith.identity),
            resolve: (payload: { invocation: unknown }) => payload.invocation,
          },
        },
      },
    });
  } catch (error) {
    throw new ConfigError([`schema must be valid GraphQL SDL: ${(error as Error).message}`], { cause: error });
  }

  const fnDirective = schema.getDirective('fn')!;
  const bindings: FieldBinding[] = [];
  const layout = host.config.layout;
  for (const type of Object.values(schema.getTypeMap())) {
    // An interface's fields never resolve themselves (its object types' fields do): a binding there would do nothing.
    if (isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.astNode && getDirectiveValues(fnDirective, field.astNode)) {
          problems.push(`${type.name}.${field.name}: @fn on an interface field binds nothing; put it on the field of each type that implements ${type.name}`);
        }
      }
      continue;
    }
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.astNode) continue;
      const args = getDirectiveValues(fnDirective, field.astNode) as
        { job: string; invocation: 'REQUEST_RESPONSE' | 'EVENT'; maxBatchSize?: number } | undefined;
      if (!args) continue;
      const coordinate = `${type.name}.${field.name}`;
      const before = problems.length;
      try {
        host.registry.resolve(args.job);
      } catch {
        problems.push(`${coordinate}: job "${args.job}" does not exist in layout ${layout}`);
      }
      const maxBatchSize = args.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
      if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > MAX_BATCH_SIZE) {
        problems.push(`${coordinate}: @fn maxBatchSize must be an integer from 1 to ${MAX_BATCH_SIZE} (got ${maxBatchSize})`);
      }
      if (type === schema.getSubscriptionType()) {
        problems.push(`${coordinate}: @fn cannot bind a subscription field (use Subscription.invocation for async results)`);
      }
      if (args.invocation === 'EVENT') {
        if (type !== schema.getMutationType()) problems.push(`${coordinate}: invocation EVENT is only allowed on Mutation fields`);
        // One Invocation per mutation: a list (or a list's item) is not what the resolver answers.
        if (getNullableType(field.type) !== schema.getType('Invocation')) {
          problems.push(`${coordinate}: a field with invocation EVENT must return Invocation (got ${String(field.type)})`);
        }
      }
      if (problems.length > before) continue;
      const binding: FieldBinding = { coordinate, job: args.job, invocation: args.invocation, maxBatchSize };
      bindings.push(binding);
      field.resolve = binding.invocation === 'EVENT' ? eventResolver(binding, host, invocations) : syncResolver(binding);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { schema, bindings };
}

function syncResolver(binding: FieldBinding): GraphQLFieldResolver<unknown, GatewayContext, Record<string, unknown>> {
  return (source, args, ctx, info) => {
    const scope = ctx.neolith;
    return scope.loaders.load(binding, directLambdaEvent(source, args, info, scope.identity, scope.headers));
  };
}

function eventResolver(
  binding: FieldBinding, host: GatewayHost, invocations: AsyncInvocations,
): GraphQLFieldResolver<unknown, GatewayContext, Record<string, unknown>> {
  return async (source, args, ctx, info) => {
    const scope = ctx.neolith;
    const event = directLambdaEvent(source, args, info, scope.identity, scope.headers);
    let accepted;
    try {
      // The identity goes on the record too: only its caller may read it back.
      accepted = await host.invoke(binding.job, event, { type: 'Event', identity: scope.identity });
    } catch (error) {
      throw toGraphqlError(error);
    }
    if (accepted.statusCode !== 202) throw new GraphQLError(`job ${binding.job} was not queued (status ${accepted.statusCode})`);
    return invocations.accepted(accepted.requestId, accepted.functionName, binding.job);
  };
}
