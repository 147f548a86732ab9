import { parseArgs } from 'node:util';
import { AddressUnavailableError, PortInUseError } from '../../errors/index.js';
import { addressRefusal } from '../address-refusal.js';
import type { Command } from '../command.js';
import { backendFlag, layoutFlag, parseFlags, portFlag } from '../parse-flags.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the functions of a config over HTTP',
  help: `Usage: neolith serve [options]

Serves the config's functions: the Lambda Invoke API, /graphql and /healthz.

Options:
  --config FILE        config file (default: neolith.config.{ts,mts,mjs,js,json} in the current folder)
  --layout L           nano | micro | mono: how jobs are packaged into functions
  --port N             port to listen on (default 4000; 0 picks a free one)
  --host ADDR          address to bind (default 127.0.0.1)
  --state DIR          state folder (default .neolith)
  --backend B          sqlite | redis (default sqlite)
  --redis-url URL      Redis for the redis backend (default redis://127.0.0.1:6379)
  --watch              rebuild and recycle only the functions whose files change
  --insecure           serve a non-loopback --host without auth (anyone reaching it may invoke and reconfigure every function)
  -h, --help           show this help`,
  async run(args) {
    const { values } = parseFlags(() => parseArgs({ args, strict: true, options: {
      config: { type: 'string' }, layout: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
      state: { type: 'string' }, backend: { type: 'string' }, 'redis-url': { type: 'string' }, watch: { type: 'boolean' }, insecure: { type: 'boolean' },
    } }));
    const overrides = {
      ...(values.layout !== undefined && { layout: layoutFlag(values.layout)! }),
      ...(values.port !== undefined && { port: portFlag(values.port)! }),
      ...(values.host !== undefined && { host: values.host }),
      ...(values.state !== undefined && { stateDir: values.state }),
      ...(values.backend !== undefined && { backend: backendFlag(values.backend)! }),
      ...(values['redis-url'] !== undefined && { redisUrl: values['redis-url'] }),
    };
    if (values.host !== undefined) {
      const refusal = await addressRefusal(values.host);
      // Only what the address itself causes: the port is not known yet (it may come from the config).
      const why = refusal?.code !== undefined && ADDRESS_CODES.has(refusal.code) ? UNAVAILABLE[refusal.code] : undefined;
      if (why) throw new AddressUnavailableError(`cannot listen on ${values.host}${values.port === undefined ? '' : ` port ${values.port}`}: ${why}`, { cause: refusal });
    }
    // Loaded here, not at the top: the host's dependencies take ~1 s to load, which every other command would pay.
    const { createHost } = await import('../../host.js');
    const host = await createHost({ ...(values.config && { config: values.config }), overrides, watch: values.watch ?? false });
    // Lambda runs handlers in their task root (relative reads such as readFileSync('templates/a.html')).
    process.chdir(host.config.rootDir);
    let address;
    try {
      address = await host.listen({ insecure: values.insecure ?? false });
    } catch (error) {
      await host.close();
      const code = (error as NodeJS.ErrnoException).code;
      const port = values.port ?? host.config.port;
      const bindHost = values.host ?? host.config.host;
      if (code === 'EADDRINUSE') {
        throw new PortInUseError(`port ${port} on ${bindHost} is in use: stop what holds it, or pass --port N (0 picks a free one; with npm start: npm start -- --port N)`, { cause: error });
      }
      const why = code === undefined ? undefined : UNAVAILABLE[code];
      if (why) throw new AddressUnavailableError(`cannot listen on ${bindHost} port ${port}: ${why}`, { cause: error });
      throw error;
    }
    // Listen for signals before saying we are up: a supervisor may signal as soon as it reads the line.
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stdout.write(`neolith: ${signal}, closing\n`);
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    const c = host.config;
    process.stdout.write(
      `neolith listening on ${address.url} — ${c.functions.length} function(s), layout ${c.layout}, backend ${c.backend}, state ${c.stateDir}${values.watch ? ', watching' : ''}\n`,
    );
    await stopped;
    await host.close();
    return 0;
  },
};

/** Why a bind failed, by the system's error code, for the errors a mistyped --host or --port causes. */
const UNAVAILABLE: Record<string, string> = {
  EADDRNOTAVAIL: 'the address is not one of this machine\'s (use 127.0.0.1, 0.0.0.0 or an address of one of its interfaces)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (no name server answered)',
  EACCES: 'ports below 1024 need privileges this process does not have: pass --port N above 1023',
  EINVAL: 'not an address this machine can bind (an IPv6 link-local address needs its zone, as in fe80::1%eth0)',
};

/** The bind errors a --host alone causes, whatever the port. */
const ADDRESS_CODES = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EINVAL']);
