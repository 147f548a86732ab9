import type { Plugin } from 'graphql-yoga';

/** The bodies yoga can read a GraphQL request from. */
const ACCEPTED = 'application/json, application/graphql+json, application/graphql, application/x-www-form-urlencoded or multipart/form-data';

/**
 * Answers a request no parser of yoga's can read (a POST of text/plain or
 * application/xml, a PUT) with 415 and a GraphQL error that says what is
 * accepted; yoga's own 415 has an empty body, which leaves a client guessing.
 */
export function useUnsupportedMediaTypeExplained(): Plugin {
  return {
    onRequestParse({ request, requestParser, endResponse }) {
      // Registered after yoga's own parsers: a request one of them reads already has its parser.
      if (requestParser) return;
      const type = request.headers.get('content-type');
      const what = request.method === 'POST'
        ? `a POST body of type ${type === null ? '(none)' : JSON.stringify(type.slice(0, 100))}`
        : `a ${request.method.slice(0, 20)} request`;
      const message = `The GraphQL endpoint cannot read ${what}: send a GET with query parameters, or a POST of ${ACCEPTED}`;
      endResponse(Response.json(
        { errors: [{ message, extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] },
        { status: 415, headers: { 'content-type': 'application/graphql-response+json; charset=utf-8' } },
      ));
    },
  };
}
