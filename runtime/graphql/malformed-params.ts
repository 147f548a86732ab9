import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { GATEWAY_ERROR_CODES } from './gateway-errors.js';

/** The parameters yoga reads as JSON text from a query string or a form body. */
const JSON_PARAMS = ['variables', 'extensions'] as const;

/**
 * Answers a request whose `variables` or `extensions` parameter is not JSON
 * with 400 BAD_REQUEST, as GraphQL over HTTP asks for a request that cannot
 * be parsed. yoga's GET and form parsers call `JSON.parse` on them bare, so
 * the SyntaxError would reach the client as a masked 500
 * INTERNAL_SERVER_ERROR (and the log as a stack trace) — the client's
 * mistake reported as the host's. Other parser failures pass unchanged.
 */
export function useMalformedParamsAsBadRequest(): Plugin {
  return {
    onRequestParse({ url, requestParser, setRequestParser }) {
      // Registered after yoga's own parsers: the one matching this request is already chosen.
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof GraphQLError || !(error instanceof SyntaxError)) throw error;
          throw badParams(url, error);
        }
      });
    },
  };
}

function badParams(url: URL, error: SyntaxError): GraphQLError {
  // Only a GET's parameters can be read again (a form body is consumed): name the culprit when possible.
  const culprit = JSON_PARAMS.find((name) => !isJson(url.searchParams.get(name)));
  const what = culprit === undefined ? 'The variables or extensions parameter' : `The ${culprit} parameter`;
  return createGraphQLError(`${what} is not valid JSON: ${error.message}`, {
    extensions: { code: GATEWAY_ERROR_CODES.badRequest, http: { status: 400 } },
  });
}

function isJson(text: string | null): boolean {
  if (!text) return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
