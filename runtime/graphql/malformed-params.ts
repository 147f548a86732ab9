import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { GATEWAY_ERROR_CODES } from './gateway-errors.js';

/** yoga's error for a POST body that is not JSON. */
const INVALID_JSON_BODY = 'POST body sent invalid JSON.';
/** Longest reason a refusal of an invalid body quotes. */
const MAX_REASON_CHARS = 200;

/** The parameters yoga reads as JSON text from a query string or a form body. */
const JSON_PARAMS = ['variables', 'extensions'] as const;

/**
 * Answers a request whose `variables` or `extensions` parameter is not JSON
 * with 400 BAD_REQUEST, as GraphQL over HTTP asks for a request that cannot
 * be parsed. yoga's GET and form parsers call `JSON.parse` on them bare, so
 * the SyntaxError would reach the client as a masked 500
 * INTERNAL_SERVER_ERROR (and the log as a stack trace) — the client's
 * mistake reported as the host's. A POST body that is not JSON keeps yoga's
 * 400, without the body itself, which V8's parse error quotes whole (a 1 MB
 * bad body came back as a 1 MB error). A parser's refusal without a status,
 * and a multipart form its parser chokes on, are 400 too. Other parser
 * failures pass unchanged.
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
          if (error instanceof GraphQLError && error.message === INVALID_JSON_BODY) throw shortInvalidJson(error);
          // A parser's own refusal that names no status (a multipart form without "operations", say) is
          // about the request: 400, not yoga's 200 with no data.
          if (error instanceof GraphQLError) throw error.extensions.http ? error : badRequest(error.message);
          // yoga's multipart parser reads "map" unchecked: {"0":5} fails inside it with a TypeError.
          if (error instanceof TypeError && isMultipart(request)) throw badRequest(`Malformed multipart request: ${error.message.slice(0, MAX_REASON_CHARS)}`);
          if (!(error instanceof SyntaxError)) throw error;
          throw badParams(url, error);
        }
      });
    },
  };
}

function badRequest(message: string): GraphQLError {
  return createGraphQLError(message, { extensions: { code: GATEWAY_ERROR_CODES.badRequest, http: { status: 400 } } });
}

function isMultipart(request: Request): boolean {
  return (request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
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

function shortInvalidJson(error: GraphQLError): GraphQLError {
  const original = error.extensions.originalError as { message?: unknown } | undefined;
  // V8 says where the text breaks, then quotes the text: `…at position 310, "{\"query…" is not valid JSON`.
  const reason = typeof original?.message === 'string' ? original.message.replace(/, ".*" is not valid JSON$/s, '').slice(0, MAX_REASON_CHARS) : undefined;
  return createGraphQLError(reason ? `POST body sent invalid JSON: ${reason}` : INVALID_JSON_BODY, {
    extensions: { code: GATEWAY_ERROR_CODES.badRequest, http: { status: 400 } },
  });
}
