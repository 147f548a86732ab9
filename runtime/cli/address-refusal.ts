import { createServer } from 'node:net';

/**
 * Why this machine cannot listen on `host` at all (any port), or undefined
 * if it can. Asked before the host loads (1–5 s): a mistyped --host is
 * then reported at once. A port's own trouble (in use, privileged) is the
 * real listen's to report.
 */
export function addressRefusal(host: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    probe.listen({ host, port: 0, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
