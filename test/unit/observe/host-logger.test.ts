import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostLogger } from '../../../runtime/observe/index.js';

/** A destination collecting pino's lines. */
function lines() {
  const out: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { out, destination };
}

const saved = process.env.NEOLITH_LOG_LEVEL;
afterEach(() => {
  if (saved === undefined) delete process.env.NEOLITH_LOG_LEVEL;
  else process.env.NEOLITH_LOG_LEVEL = saved;
});

describe('createHostLogger', () => {
  it('writes one JSON object per line, named neolith, at info and above by default', () => {
    delete process.env.NEOLITH_LOG_LEVEL;
    const { out, destination } = lines();
    const logger = createHostLogger({ destination });
    logger.info({ url: 'http://x' }, 'listening');
    logger.debug('not shown');
    expect(out).toEqual([expect.objectContaining({ level: 30, name: 'neolith', url: 'http://x', msg: 'listening' })]);
  });

  it('takes its level from NEOLITH_LOG_LEVEL, and the option over it', () => {
    process.env.NEOLITH_LOG_LEVEL = 'warn';
    expect(createHostLogger({ destination: lines().destination }).level).toBe('warn');
    expect(createHostLogger({ level: 'debug', destination: lines().destination }).level).toBe('debug');
  });

  it('refuses an unknown level, naming where it came from', () => {
    expect(() => createHostLogger({ level: 'loud' })).toThrow('logger.level must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
    process.env.NEOLITH_LOG_LEVEL = 'verbose';
    expect(() => createHostLogger()).toThrow('NEOLITH_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")');
  });
});
