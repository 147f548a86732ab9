export { HttpServer } from './http-server.js';
export type { HttpServerOptions } from './http-server.js';
export { lambdaApi } from './lambda-api.js';
export type { LambdaApiParts } from './lambda-api.js';
export type { HttpRoute, RequestContext } from './http-route.js';
export { sendJson, sendError } from './send.js';
export { readBody } from './read-body.js';
