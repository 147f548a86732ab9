import { afterEach, describe, expect, it } from 'vitest';
import { GraphqlGateway } from '../../../runtime/graphql/index.js';
import type { ResolvedCors } from '../../../runtime/config/index.js';
import { FakeGatewayHost, gql, schemaDir } from './fake-gateway-host.js';

const SDL = `
  type Query { ping: Int @fn(job: "ping/get") }
  type Mutation { wipe: Int @fn(job: "data/wipe") }
`;

let gateway: GraphqlGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function build(cors?: ResolvedCors) {
  const host = new FakeGatewayHost({ 'ping/get': (events: unknown[]) => events.map(() => 1), 'data/wipe': (events: unknown[]) => events.map(() => 0) }, cors ? { cors } : {});
  gateway = GraphqlGateway.create(host, { schemaDir: schemaDir({ 'a.graphql': SDL }) })!;
  return { host, yoga: gateway.yoga };
}

const preflight = (yoga: GraphqlGateway['yoga'], origin: string) => yoga.fetch('http://localhost/graphql', {
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
});

describe('cross-origin requests to /graphql', () => {
  it('refuses a form post (a cross-site request a browser sends without asking) before running anything', async () => {
    const { host, yoga } = build();
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'query=mutation%20%7B%20wipe%20%7D',
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Required CSRF header(s) not present');
    expect(host.calls).toEqual([]);
  });

  it('needs a preflight-only header on a GET query; a JSON POST needs none', async () => {
    const { yoga } = build();
    const query = encodeURIComponent('{ ping }');
    expect((await yoga.fetch(`http://localhost/graphql?query=${query}`, { headers: { accept: 'application/json' } })).status).toBe(403);
    const allowed = await yoga.fetch(`http://localhost/graphql?query=${query}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(await allowed.json()).toEqual({ data: { ping: 1 } });
    expect((await gql(yoga, '{ ping }')).body).toEqual({ data: { ping: 1 } });
  });

  it('allows no other origin by default (yoga alone would echo any origin, with credentials)', async () => {
    const { yoga } = build();
    const response = await preflight(yoga, 'https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('follows the host\'s cors policy, as the REST routes do', async () => {
    const { yoga } = build({
      allowOrigins: ['https://app.example'], allowMethods: ['GET', 'POST'], allowHeaders: ['content-type', 'authorization'],
      exposeHeaders: [], allowCredentials: true, maxAge: 600,
    });
    const app = await preflight(yoga, 'https://app.example');
    expect(app.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(app.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await preflight(yoga, 'https://evil.example')).headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  it('allows no origin for a cors policy with an empty origin list (yoga alone would echo any)', async () => {
    const { yoga } = build({ allowOrigins: [], allowMethods: ['POST'], allowHeaders: ['content-type'], exposeHeaders: [], allowCredentials: true, maxAge: 0 });
    const response = await preflight(yoga, 'https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
