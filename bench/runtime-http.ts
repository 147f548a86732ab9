/**
 * Lambda Invoke API requests/s with 10 concurrent connections (autocannon)
 * vs a trivial node:http server answering the same bytes (same status,
 * headers and body as the host's answer), same run. autocannon runs in a
 * process of its own so the load generator does not share the server's main
 * thread; host and bare rounds alternate.
 *
 *   npx tsc -p tsconfig.build.json; node --import tsx bench/runtime-http.ts
 */
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runStandalone, type Row } from './run.js';
import { SMALL_PAYLOAD, benchHost, fixtureUrl, inChild, isChild, serveChild, settle } from './runtime-support.js';

export const title = 'Invoke API over HTTP: neolith vs a trivial node:http server (10 connections, echo)';
export const baseline = 'node:http';

const CONNECTIONS = 10;
const SECONDS = 3;
const ROUNDS = 3;
const PATH = '/2015-03-31/functions/echo/invocations';

interface LoadResult {
  requests: number;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  timeouts: number;
}

function load(url: string, body: string, seconds: number): Promise<LoadResult> {
  const options = {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  };
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(fixtureUrl('autocannon-child.mjs')), [JSON.stringify(options)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: LoadResult | undefined;
    child.on('message', (message: LoadResult) => (result = message));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`autocannon exited ${code} without a result`))));
  });
}

/** A server that answers every request with the given status, headers and body, after reading the request. */
function bareServer(headers: Record<string, string>, body: Buffer): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

interface HttpFigures {
  host: LoadResult[];
  bare: LoadResult[];
  bodyBytes: number;
}

async function measure(): Promise<HttpFigures> {
  const body = JSON.stringify(SMALL_PAYLOAD);
  const bench = await benchHost({ jobs: false, idleTimeoutMs: 600_000, functions: { echo: { handler: './echo.mjs' } } });
  let bare: { server: Server; url: string } | undefined;
  try {
    const { url } = await bench.host.listen({ port: 0, host: '127.0.0.1' });
    const probe = await fetch(url + PATH, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const answer = Buffer.from(await probe.arrayBuffer());
    if (probe.status !== 200 || answer.toString() !== body) throw new Error(`the host answered ${probe.status} ${answer.toString()}`);
    // The host's own response headers, so both servers send the same bytes (bar the request id's value).
    const headers: Record<string, string> = {};
    for (const name of ['x-amzn-requestid', 'x-amz-executed-version', 'content-type', 'content-length']) {
      const value = probe.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    bare = await bareServer(headers, answer);

    await load(url + PATH, body, 1);
    await load(bare.url + PATH, body, 1);
    const host: LoadResult[] = [];
    const base: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<[string, LoadResult[]]> = [[url, host], [bare.url, base]];
      if (round % 2 === 1) order.reverse();
      for (const [target, into] of order) {
        await settle();
        into.push(await load(target + PATH, body, SECONDS));
      }
    }
    return { host, bare: base, bodyBytes: answer.length };
  } finally {
    await new Promise<void>((resolve) => (bare ? bare.server.close(() => resolve()) : resolve()));
    bare?.server.closeAllConnections();
    await bench.close();
  }
}

/** Measures in a fresh child process (see `inChild`). */
export async function run(): Promise<Row[]> {
  const { host, bare, bodyBytes } = await inChild<HttpFigures>(import.meta.url);
  const best = (results: LoadResult[]) => results.reduce((a, b) => (b.rps > a.rps ? b : a));
  const h = best(host);
  const b = best(bare);
  const failures = [...host, ...bare].reduce((sum, r) => sum + r.errors + r.non2xx + r.timeouts, 0);
  return [
    {
      name: `requests/s, ${CONNECTIONS} connections`, value: h.rps, baseline: b.rps, unit: 'req/s',
      note: `best of ${ROUNDS} × ${SECONDS} s each (host ${host.map((r) => Math.round(r.rps)).join(', ')}; bare ${bare.map((r) => Math.round(r.rps)).join(', ')}); ${bodyBytes} B body; ${failures} errors`,
    },
    { name: 'latency mean', value: h.mean, baseline: b.mean, unit: 'ms' },
    { name: 'latency p99', value: h.p99, baseline: b.p99, unit: 'ms', note: 'autocannon rounds latencies to whole ms' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  if (isChild()) await serveChild(measure);
  else await runStandalone({ run, title, baseline }, 'runtime-http');
}
