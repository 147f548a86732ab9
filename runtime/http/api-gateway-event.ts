import type { IncomingMessage } from 'node:http';
import type { JwtAuthorizer } from '../auth/index.js';

/**
 * API Gateway HTTP API's Lambda event, payload format 2.0
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 * Optional fields are absent, not empty, when the request has none — as AWS sends them.
 */
export interface ApiGatewayProxyEventV2 {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    authorizer?: { iam: IamAuthorizer } | { jwt: JwtAuthorizer };
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: string;
    time: string;
    timeEpoch: number;
  };
  body?: string;
  pathParameters?: Record<string, string>;
  isBase64Encoded: boolean;
}

/** `requestContext.authorizer.iam` of a route with IAM (SigV4) auth. */
export interface IamAuthorizer {
  accessKey: string;
  accountId: string;
  callerId: string;
  cognitoIdentity: null;
  principalOrgId: null;
  userArn: string;
  userId: string;
}

/** What the event is built from besides the request itself. */
export interface EventInput {
  req: IncomingMessage;
  routeKey: string;
  /** Path after the route prefix, as sent (percent-encoded). */
  rawPath: string;
  rawQueryString: string;
  pathParameters: Record<string, string> | undefined;
  body: Buffer;
  requestId: string;
  accountId: string;
  authorizer?: ApiGatewayProxyEventV2['requestContext']['authorizer'];
  now: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Bodies API Gateway passes as text; anything else is base64 (`isBase64Encoded: true`). */
const TEXT_TYPE = /^(text\/|application\/(json|xml|javascript|graphql|x-ndjson|ld\+json)|[^;]*\+(json|xml)\s*(;|$))/i;

/** Builds the payload 2.0 event of a request. */
export function apiGatewayEvent(input: EventInput): ApiGatewayProxyEventV2 {
  const { req } = input;
  // Names come from the client: in a plain object `constructor` or `toString` would read the
  // prototype's and `__proto__` would not be stored at all. Without a prototype every name is an own
  // data property, and the event still serialises as plain JSON on its way to the environment.
  const headers = Object.create(null) as Record<string, string>;
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    // Format 2.0 moves cookies out of the headers into `cookies`, one entry per cookie.
    if (name === 'cookie') {
      for (const c of value.split(';')) if (c.trim() !== '') cookies.push(c.trim());
      continue;
    }
    // Repeated headers are joined with commas (2.0 has no multiValueHeaders).
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(input.rawQueryString)) {
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  }
  const host = headers.host ?? 'localhost';
  const domainName = host.replace(/:\d+$/, '');
  const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const contentType = headers['content-type'] ?? '';
  const hasBody = input.body.length > 0;
  const asText = hasBody && TEXT_TYPE.test(contentType);
  const event: ApiGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    requestContext: {
      accountId: input.accountId,
      apiId: 'neolith',
      ...(input.authorizer && { authorizer: input.authorizer }),
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method ?? 'GET',
        path: input.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      stage: '$default',
      time: clfTime(input.now),
      timeEpoch: input.now,
    },
    ...(hasBody && { body: asText ? input.body.toString('utf8') : input.body.toString('base64') }),
    ...(input.pathParameters && { pathParameters: input.pathParameters }),
    isBase64Encoded: hasBody && !asText,
  };
  return event;
}

/** `12/Mar/2020:19:03:58 +0000`, the request time format of API Gateway's access logs and events. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
