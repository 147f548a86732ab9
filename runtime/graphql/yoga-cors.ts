import type { CORSOptions } from 'graphql-yoga';
import type { ResolvedCors } from '../config/index.js';

/** The host's `cors` policy (the REST routes' own) in yoga's terms, so `/graphql` follows the same rules. */
export function corsOptions(cors: ResolvedCors): CORSOptions | false {
  // No origin allowed: no CORS at all (yoga would read an empty list as "echo any origin").
  if (cors.allowOrigins.length === 0) return false;
  return {
    origin: cors.allowOrigins.includes('*') ? '*' : cors.allowOrigins,
    methods: cors.allowMethods,
    allowedHeaders: cors.allowHeaders,
    exposedHeaders: cors.exposeHeaders,
    credentials: cors.allowCredentials,
    maxAge: cors.maxAge,
  };
}
