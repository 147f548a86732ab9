/**
 * GraphQL requests/s and server CPU time per request, 10 connections
 * (autocannon in a child process, so the load generator does not share the
 * server's CPU): bare graphql-yoga with the reference app's jobs called
 * in-process (same SDL, same per-request DataLoader batching) vs neolith
 * serving the same schema in the nano, micro and mono layouts, for a
 * single-field query and for 50 posts with their authors. Same run, one
 * server under load at a time, bare and neolith measured in turns (ROUNDS
 * windows each, medians reported); server CPU is this process's (main thread
 * + worker threads) over each window.
 *
 *   npx tsc -p tsconfig.build.json; node --import tsx bench/graphql.ts
 *
 * BENCH_GRAPHQL_LAYOUTS=mono,nano and BENCH_GRAPHQL_QUERIES=posts measure only
 * the layouts and queries whose names contain one of those words.
 *
 * A third server takes its turn in every round, the floor: bare yoga with its
 * jobs in plain worker threads (2; BENCH_GRAPHQL_FLOOR_THREADS=1 for one), so
 * each layout's CPU shows against both what the jobs cost in-process and what
 * moving them to threads costs by itself.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import DataLoader from 'dataloader';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { getDirectiveValues, isObjectType, parse, type GraphQLResolveInfo } from 'graphql';
import { NeolithError } from '../dist/runtime/errors/index.js';
import type { HostCallFunction } from '../dist/runtime/environment/protocol.js';
import { sourcesCall } from '../dist/runtime/sources/sources-api.js';
import { openTableReads } from '../dist/runtime/sources/client/direct-table-reads.js';
import { createYoga } from 'graphql-yoga';
import { createHost } from '../dist/runtime/index.js';
import { GATEWAY_SDL } from '../dist/runtime/graphql/index.js';
import { useQueryOrderedExecution } from '../dist/runtime/graphql/query-ordered-execution.js';
import { withOneByteNames } from '../dist/runtime/graphql/one-byte-names.js';
import { GraphqlJobWorkers } from './graphql-job-workers.js';
import { runStandalone, type Row } from './run.js';
import { splitCpu, threadCpu, type CpuSplit } from './thread-cpu.js';
import app from '../neolith.config.js';

/** The reference app's data: its tables (its push sources and mapping are not part of this workload). */
const APP_SOURCES = { tables: app.tables, buckets: app.buckets, topics: app.topics };

export const title = 'GraphQL: neolith per layout vs bare graphql-yoga with the same jobs in-process (10 connections)';
export const baseline = 'bare yoga';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CONNECTIONS = 10;
// Long enough for every environment thread's JIT to settle: the figures are for a server that has been up a while.
// Each environment is an isolate of its own, compiling the jobs for itself: in 3 s windows after 6 s of load, a
// micro host's CPU per 50-posts request still fell from ~1,480 to ~920 µs over the next 25 s (README, 2026-12-07).
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
/** Each measured window; bare and neolith take turns, ROUNDS windows each. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const QUERIES = {
  'single field': '{ user(id: "u1") { id name } }',
  '50 posts + authors': '{ posts(limit: 50) { id title author { id name } } }',
} as const;
type QueryName = keyof typeof QUERIES;

/** Whether `name` is one a comma-separated env filter asks for (no filter: every name). */
function wanted(filter: string | undefined, name: string): boolean {
  return !filter || filter.split(',').some((word) => word.trim() !== '' && name.includes(word.trim()));
}
const MEASURED_QUERIES = (Object.keys(QUERIES) as QueryName[]).filter((q) => wanted(process.env.BENCH_GRAPHQL_QUERIES, q));

interface LoadResult { requests: number; rps: number; p50: number; p99: number; errors: number; non2xx: number }
interface Cell { rps: number; cpuUsPerRequest: number; p99: number; bad: number; split: CpuSplit | undefined }

function load(url: string, query: string, seconds: number): Promise<LoadResult> {
  const options = {
    url, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }),
    connections: CONNECTIONS, duration: seconds,
  };
  return new Promise((resolvePromise, reject) => {
    const child = fork(fileURLToPath(new URL('./fixtures/autocannon-child.mjs', import.meta.url)), [JSON.stringify(options)], {
      execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: LoadResult | undefined;
    child.on('message', (message: LoadResult) => (result = message));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolvePromise(result) : reject(new Error(`autocannon exited ${code} without a result`))));
  });
}

/** Checks that a server answers the query without errors. */
async function check(url: string, query: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = await response.json() as { errors?: unknown };
  if (!response.ok || body.errors) throw new Error(`${url} answered ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
}

/** One measured window: requests/s and this process's CPU per request (and per kind of thread). */
async function measure(url: string, query: string, preexisting: ReadonlySet<number>): Promise<Cell> {
  const threadsBefore = threadCpu();
  const cpu = process.cpuUsage();
  const result = await load(url, query, SECONDS);
  const used = process.cpuUsage(cpu);
  const requests = Math.max(1, result.requests);
  const split = splitCpu(threadsBefore, threadCpu(), preexisting, used.user + used.system);
  return {
    rps: result.rps, p99: result.p99, bad: result.errors + result.non2xx,
    cpuUsPerRequest: (used.user + used.system) / requests,
    split: split && { main: split.main / requests, started: split.started / requests, other: split.other / requests },
  };
}

/**
 * Bare graphql-yoga: the same SDL, each @fn field calling its job's handler in
 * this process, batched per request. With `workerThreads`, the jobs run in that
 * many plain worker threads instead (`GraphqlJobWorkers`: the floor).
 */
export async function bareYoga(stateDir: string, workerThreads?: number): Promise<{ url: string; close: () => Promise<void> }> {
  // The jobs keep their data in tables: a host with no functions serves them, in this process, as neolith's host does.
  const data = await createHost({ config: { tables: APP_SOURCES.tables, functions: {} }, rootDir: stateDir, overrides: { stateDir } }); // no schema/ there: no gateway
  // The jobs' table writes go straight to the host's handler in this process — what an
  // environment's channel reaches, minus the thread hop — so the baseline is not slowed by HTTP.
  const serve = sourcesCall(data.sources);
  const direct: HostCallFunction = async (call) => {
    try {
      return { kind: 'host-reply', id: 0, result: await serve(call) };
    } catch (error) {
      if (error instanceof NeolithError) return { kind: 'host-reply', id: 0, error: { type: error.code, message: error.message } };
      throw error;
    }
  };
  const workers = workerThreads === undefined ? undefined : new GraphqlJobWorkers(workerThreads, {
    rootUrl: pathToFileURL(`${ROOT}/`).href, openTableReadsUrl: new URL('../dist/runtime/sources/client/direct-table-reads.js', import.meta.url).href,
    stateDir, tables: data.config.sources.tables,
  }, direct);
  if (!workers) {
    // Process-wide: only the in-process server sets them (the floor's threads have their own).
    (globalThis as Record<symbol, unknown>)[Symbol.for('neolith.hostCall')] = direct;
    // Table reads as an environment of the sqlite backend does them: on a read-only connection of its own, no JSON round trip.
    (globalThis as Record<symbol, unknown>)[Symbol.for('neolith.tableReads')] = openTableReads({ moduleUrl: '', stateDir, tables: data.config.sources.tables });
  }
  const schemaDir = join(ROOT, 'schema');
  // Parsed as the gateway parses them, names held one byte a character: bare yoga shares this process's
  // string table with the host under test, and two-byte names of its own (the SDL has en dashes) would be
  // the ones V8 hands the host's JSON.parse for the same keys, making the host's batches two-byte.
  const typeDefs = [GATEWAY_SDL, ...readdirSync(schemaDir).filter((f) => f.endsWith('.graphql')).sort().map((f) => readFileSync(join(schemaDir, f), 'utf8'))]
    .map((text) => withOneByteNames(parse(text)));
  const schema = makeExecutableSchema({ typeDefs });
  type Handler = (event: unknown, context: unknown) => Promise<unknown>;
  const jobs = new Map<string, { handler: Handler; batch: boolean }>();
  const context = { awsRequestId: 'bench', functionName: 'bare', getRemainingTimeInMillis: () => 3000 };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const fn = field.astNode && getDirectiveValues(schema.getDirective('fn')!, field.astNode) as { job: string } | undefined;
      if (!fn || fn.job === 'orders/placeOrder') continue;
      const jobName = fn.job;
      if (!workers && !jobs.has(jobName)) {
        const mod = await import(pathToFileURL(join(ROOT, 'resolvers', `${jobName}.ts`)).href) as { handler: Handler; batch?: boolean };
        jobs.set(jobName, { handler: mod.handler, batch: mod.batch === true });
      }
      const job = jobs.get(jobName);
      const coordinate = `${type.name}.${field.name}`;
      field.resolve = (source: unknown, args: Record<string, unknown>, ctx: { loaders: Map<string, DataLoader<unknown, unknown>> }, info: GraphQLResolveInfo) => {
        let loader = ctx.loaders.get(coordinate);
        if (!loader) {
          loader = new DataLoader(async (events) => {
            if (!job) return workers!.call(jobName, events);
            return job.batch ? await job.handler(events, context) as unknown[] : Promise.all(events.map((event) => job.handler(event, context)));
          }, { cache: false });
          ctx.loaders.set(coordinate, loader);
        }
        return loader.load({ arguments: args, source: source ?? null, identity: null, request: { headers: {} }, info: { fieldName: info.fieldName, parentTypeName: info.parentType.name } });
      };
    }
  }
  // The executor neolith's gateway uses (graphql-js, for the query's field order): the ratio is then neolith's own cost.
  const yoga = createYoga({ schema, graphiql: false, landingPage: false, plugins: [useQueryOrderedExecution()], context: () => ({ loaders: new Map() }) });
  const server = createServer(yoga);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      try {
        await workers?.close();
      } finally {
        await data.close();
      }
    },
  };
}

export async function neolith(
  layout: 'nano' | 'micro' | 'mono', stateDir: string, maxEnvironmentsPerFunction?: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const host = await createHost({
    config: { ...APP_SOURCES, jobs: { dir: 'resolvers', layout }, ...(maxEnvironmentsPerFunction && { maxEnvironmentsPerFunction }) },
    rootDir: ROOT, overrides: { stateDir },
  });
  const { url } = await host.listen({ port: 0 });
  return { url: `${url}/graphql`, close: () => host.close() };
}

type Server = { url: string; close: () => Promise<void> };

/**
 * The floor: bare yoga with its jobs moved to 2 plain worker threads
 * (`GraphqlJobWorkers`), JSON text across, nothing else of neolith's — what
 * isolating the jobs in threads costs by itself on this machine. Measured in
 * the same rounds as each layout, so neolith's own share shows apart from it.
 * BENCH_GRAPHQL_FLOOR=0 leaves it out.
 */
const FLOOR_THREADS = Number(process.env.BENCH_GRAPHQL_FLOOR_THREADS ?? 2);
if (!Number.isInteger(FLOOR_THREADS) || FLOOR_THREADS < 1) {
  throw new RangeError(`BENCH_GRAPHQL_FLOOR_THREADS must be an integer of 1 or more (got ${JSON.stringify(process.env.BENCH_GRAPHQL_FLOOR_THREADS)})`);
}
const WITH_FLOOR = process.env.BENCH_GRAPHQL_FLOOR !== '0';

/** A server under test, and how to tell the threads that are not its own (by their ids). */
interface ServerUnderTest { server: Server; notOwn: () => ReadonlySet<number> }

/** One query on one layout: bare yoga's windows, the floor's and neolith's, taken in turns. */
interface Pairing { bare: Cell[]; floor: Cell[]; neolith: Cell[] }

/**
 * Warms the servers on the query, then measures ROUNDS windows of each, bare
 * yoga, the floor and neolith in turns: the VM's drift over a minute (±20 % on
 * a shared 2-core machine) then falls on every side instead of on whichever
 * ran in the slow minute. The order turns each round, so no side always
 * follows the same one (their garbage is on one heap: the main thread's).
 * Only the server under load uses CPU; the others idle.
 */
async function interleave(bare: ServerUnderTest, floor: ServerUnderTest | undefined, neolith: ServerUnderTest, query: string): Promise<Pairing> {
  const sides: Array<[keyof Pairing, ServerUnderTest]> = [['bare', bare], ['neolith', neolith]];
  if (floor) sides.splice(1, 0, ['floor', floor]);
  for (const [, { server }] of sides) await check(server.url, query);
  for (const [, { server }] of sides) await load(server.url, query, WARMUP_SECONDS);
  const pairing: Pairing = { bare: [], floor: [], neolith: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (let turn = 0; turn < sides.length; turn++) {
      const [side, { server, notOwn }] = sides[(round + turn) % sides.length]!;
      pairing[side].push(await measure(server.url, query, notOwn()));
    }
  }
  return pairing;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The median of each figure over a pairing's windows (each figure on its own). */
function medianCell(cells: Cell[]): Cell {
  const splits = cells.map((c) => c.split).filter((split): split is CpuSplit => split !== undefined);
  return {
    rps: median(cells.map((c) => c.rps)),
    cpuUsPerRequest: median(cells.map((c) => c.cpuUsPerRequest)),
    p99: median(cells.map((c) => c.p99)),
    bad: cells.reduce((sum, c) => sum + c.bad, 0),
    split: splits.length === cells.length && splits.length > 0
      ? { main: median(splits.map((x) => x.main)), started: median(splits.map((x) => x.started)), other: median(splits.map((x) => x.other)) }
      : undefined,
  };
}

/** "0.91× 1.02× 0.97×": one side's windows against another's, round by round. */
function roundRatios(side: Cell[], against: Cell[], figure: (cell: Cell) => number): string {
  return side.map((cell, i) => `${(figure(cell) / figure(against[i]!)).toFixed(2)}×`).join(' ');
}

/**
 * Measures every layout and query against bare yoga in interleaved rounds
 * (see `interleave`) and reports the median window of each side; the notes
 * give each round's ratio, so the spread shows.
 */
export async function run(): Promise<Row[]> {
  const layouts: Record<string, (stateDir: string) => Promise<Server>> = {
    nano: (dir) => neolith('nano', dir),
    micro: (dir) => neolith('micro', dir),
    mono: (dir) => neolith('mono', dir),
    // Not Lambda's scale-out: past 2 environments a call waits for a free one (maxEnvironmentsPerFunction).
    'mono, 2 environments': (dir) => neolith('mono', dir, 2),
  };
  const bareDir = mkdtempSync(join(tmpdir(), 'neolith-bench-graphql-bare-'));
  const floorDir = mkdtempSync(join(tmpdir(), 'neolith-bench-graphql-floor-'));
  const measured: Array<{ layout: string; pairings: Record<QueryName, Pairing> }> = [];
  let bare: Server | undefined;
  let floor: Server | undefined;
  try {
    bare = await bareYoga(bareDir);
    // Bare yoga starts no thread of its own: every thread alive in its window is someone else's.
    const bareSide: ServerUnderTest = { server: bare, notOwn: () => new Set(threadCpu().keys()) };
    let floorSide: ServerUnderTest | undefined;
    if (WITH_FLOOR) {
      const before = new Set(threadCpu().keys());
      floor = await bareYoga(floorDir, FLOOR_THREADS);
      const floorThreads = new Set([...threadCpu().keys()].filter((id) => !before.has(id)));
      floorSide = { server: floor, notOwn: () => new Set([...threadCpu().keys()].filter((id) => !floorThreads.has(id))) };
    }
    for (const [layout, start] of Object.entries(layouts).filter(([name]) => wanted(process.env.BENCH_GRAPHQL_LAYOUTS, name))) {
      const stateDir = mkdtempSync(join(tmpdir(), `neolith-bench-graphql-${layout.replace(/\W+/g, '-')}-`));
      // Threads alive before a server starts are not its own (V8 and libuv helpers, bare yoga's).
      const preexisting = new Set(threadCpu().keys());
      const server = await start(stateDir);
      try {
        const pairings = {} as Record<QueryName, Pairing>;
        for (const queryName of MEASURED_QUERIES) {
          pairings[queryName] = await interleave(bareSide, floorSide, { server, notOwn: () => preexisting }, QUERIES[queryName]);
        }
        measured.push({ layout, pairings });
      } finally {
        await server.close();
        rmSync(stateDir, { recursive: true, force: true });
      }
    }
  } finally {
    // Each step on its own: one that fails must not leave the others' threads and files behind.
    for (const step of [() => floor?.close(), () => bare?.close()]) {
      try {
        await step();
      } catch (error) {
        process.emitWarning(`graphql bench: a baseline server did not close: ${(error as Error)?.stack ?? String(error)}`);
      }
    }
    rmSync(floorDir, { recursive: true, force: true });
    rmSync(bareDir, { recursive: true, force: true });
  }
  const rows: Row[] = [];
  const cpu = (c: Cell) => c.cpuUsPerRequest;
  for (const queryName of MEASURED_QUERIES) {
    for (const { layout, pairings } of measured) {
      const pairing = pairings[queryName];
      const bareCell = medianCell(pairing.bare);
      const cell = medianCell(pairing.neolith);
      const rounds = `medians of ${ROUNDS} × ${SECONDS} s windows taken in turns; each round`;
      const errors = cell.bad > 0 || bareCell.bad > 0 ? `; errors: ${cell.bad} (bare ${bareCell.bad})` : '';
      const floorCell = pairing.floor.length > 0 ? medianCell(pairing.floor) : undefined;
      // Ratios of the same medians as the row's own: floor / bare and neolith / floor multiply to neolith / bare.
      const againstFloor = floorCell
        ? `; the floor ${Math.round(floorCell.cpuUsPerRequest).toLocaleString('en-US')} µs, ${(floorCell.cpuUsPerRequest / bareCell.cpuUsPerRequest).toFixed(2)}× bare`
          + ` (rounds ${roundRatios(pairing.floor, pairing.bare, cpu)}); neolith ${(cell.cpuUsPerRequest / floorCell.cpuUsPerRequest).toFixed(2)}× the floor`
          + ` (rounds ${roundRatios(pairing.neolith, pairing.floor, cpu)})`
        : '';
      rows.push({
        name: `${queryName}, ${layout}: requests/s`, value: cell.rps, unit: 'req/s', baseline: bareCell.rps,
        goal: '≥ 0.8× bare', pass: cell.rps >= 0.8 * bareCell.rps,
        note: `${rounds}: ${roundRatios(pairing.neolith, pairing.bare, (c) => c.rps)}; p99 ${cell.p99} ms (bare ${bareCell.p99} ms)${errors}`,
      });
      rows.push({
        name: `${queryName}, ${layout}: server CPU per request`, value: cell.cpuUsPerRequest, unit: 'µs', baseline: bareCell.cpuUsPerRequest,
        goal: '≤ 1.3× bare', pass: cell.cpuUsPerRequest <= 1.3 * bareCell.cpuUsPerRequest,
        note: `each round: ${roundRatios(pairing.neolith, pairing.bare, cpu)}${cell.split && bareCell.split ? `; ${describeSplit(cell.split)} (bare: ${describeSplit(bareCell.split)})` : ''}${againstFloor}`,
      });
    }
    // The floor's windows of every layout's rounds, against bare yoga's of the same rounds: a reference, no goal.
    const floorWindows = measured.flatMap(({ pairings }) => pairings[queryName].floor);
    if (floorWindows.length > 0) {
      const bareWindows = measured.flatMap(({ pairings }) => pairings[queryName].bare);
      const floorCell = medianCell(floorWindows);
      const bareCell = medianCell(bareWindows);
      rows.push({
        name: `${queryName}, the floor (not neolith: bare yoga, its jobs in ${FLOOR_THREADS} plain worker thread${FLOOR_THREADS === 1 ? '' : 's'}): server CPU per request`,
        value: floorCell.cpuUsPerRequest, unit: 'µs', baseline: bareCell.cpuUsPerRequest,
        note: `medians of ${floorWindows.length} windows, in the rounds above; ${Math.round(floorCell.rps).toLocaleString('en-US')} req/s (bare ${Math.round(bareCell.rps).toLocaleString('en-US')})`
          + `${floorCell.split ? `; ${describeSplit(floorCell.split)}` : ''}; each round: ${roundRatios(floorWindows, bareWindows, cpu)}`,
      });
    }
  }
  return rows;
}

/** "main 680, own threads 330, other 250 µs": where one request's CPU went. */
function describeSplit(split: CpuSplit): string {
  const us = (n: number) => Math.round(n).toLocaleString('en-US');
  return `main ${us(split.main)}, own threads ${us(split.started)}, other ${us(split.other)} µs`;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) void runStandalone({ run, title, baseline }, 'graphql');
