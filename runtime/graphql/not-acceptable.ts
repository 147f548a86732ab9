import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/**
 * Answers a request whose `Accept` allows no form its result can take (a
 * subscription asked for as `application/json`) with 406 and a GraphQL error
 * saying what to ask for; yoga's own 406 has an empty body, which leaves a
 * client guessing.
 */
export function useNotAcceptableExplained(): Plugin {
  return {
    onResultProcess({ request, result, resultProcessor, acceptableMediaTypes, setResultProcessor }) {
      // Registered after yoga's own processors: a result one of them can send already has its processor.
      if (resultProcessor) return;
      const accept = request.headers.get('accept') ?? '';
      const shown = JSON.stringify(accept.slice(0, 100));
      // yoga lists a type once for each type the client accepted.
      const types = [...new Set(acceptableMediaTypes)];
      const message = isAsyncIterable(result)
        ? `A subscription's results are a stream: send Accept: text/event-stream (Server-Sent Events), or subscribe over graphql-ws (got Accept: ${shown})`
        : `Accept ${shown} allows none of the types this answer can take: ${types.join(', ')}`;
      // The error itself in a form the client reads: GraphQL over HTTP's own type when it asked for that.
      const type = accept.includes('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json';
      setResultProcessor((unread, fetchAPI) => {
        // Ended, so that nothing can start the stream later and hold what it watches.
        if (isAsyncIterable(unread)) {
          Promise.resolve((unread as unknown as Partial<AsyncIterator<unknown>>).return?.()).catch((error: unknown) => process.emitWarning(`neolith: ending an unread subscription failed: ${(error as Error).message}`));
        }
        return fetchAPI.Response.json(
          { errors: [{ message, extensions: { code: 'NOT_ACCEPTABLE' } }] },
          { status: 406, headers: { 'content-type': `${type}; charset=utf-8`, accept: types.join(', ') } },
        );
      }, type);
    },
  };
}

