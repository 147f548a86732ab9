import { execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Executes queries and mutations with graphql-js, whose answers keep the
 * fields in the order the query asked for them (GraphQL spec 7.2.2). yoga's
 * own executor sets each field as its resolver settles, so fields bound to
 * jobs came back in the order the jobs answered, from run to run different.
 * What that executor adds, @defer/@stream and cancelling on a client's
 * abort, the gateway does not use (resolvers ignore the request's signal).
 * Subscriptions keep yoga's executor.
 */
export function useQueryOrderedExecution(): Plugin {
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn(orderedExecute);
    },
  };
}

function orderedExecute(args: ExecutionArgs): ExecutionResult | Promise<ExecutionResult> {
  const result = execute(args);
  // An operation that cannot start (variables of the wrong type, an unknown operation name) is the
  // request's fault: marked for a 400, as yoga's executor marks it (GraphQL over HTTP).
  if (!(result instanceof Promise) && !('data' in result)) {
    for (const error of result.errors ?? []) {
      Object.defineProperty(error, 'extensions', { value: { ...error.extensions, http: { status: 400 } } });
    }
  }
  return result;
}
