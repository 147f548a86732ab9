import type { GraphQLError } from 'graphql';

/** The error code of a query refused by an abuse limit. */
export const QUERY_LIMIT_CODE = 'QUERY_LIMIT_EXCEEDED';

/**
 * graphql-armor's rejection handler for one limit: its error says
 * "Syntax Error: Query depth limit of 10 exceeded", which reads as a typo in
 * the query and carries no code. The handler runs before armor throws the
 * error, so it relabels that very error: the prefix gone, a stable
 * `extensions.code`, the config key that sets the limit, and the status of
 * an invalid operation.
 */
export function armorRefusal(limit: 'maxDepth' | 'maxAliases' | 'maxTokens' | 'maxDirectives' | 'maxCost') {
  return (_context: unknown, error: GraphQLError): void => {
    error.message = error.message.replace(/^Syntax Error: /, '');
    // Answered as yoga answers any invalid operation (GraphQL over HTTP): 400 under
    // application/graphql-response+json, 200 under legacy application/json (`spec`). Yoga keeps `http` out of the body.
    Object.assign(error.extensions, { code: QUERY_LIMIT_CODE, limit: `graphql.${limit}`, http: { spec: true, status: 400 } });
  };
}
