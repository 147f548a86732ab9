import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/*
 * bullmq and ioredis, loaded when a Redis backend or store is made: importing them takes ~110 ms
 * (bullmq 77, ioredis 34 on a 2-core VM), which a host on the SQLite default, and every CLI
 * command that starts one, need not pay. Both are CommonJS, so `require` gives the same module
 * an `import` would (one copy: bullmq's `instanceof` checks see our errors).
 */
let bullmqModule: typeof import('bullmq') | undefined;
let ioredisModule: typeof import('ioredis') | undefined;

export function bullmq(): typeof import('bullmq') {
  return (bullmqModule ??= require('bullmq') as typeof import('bullmq'));
}

export function ioredis(): typeof import('ioredis') {
  return (ioredisModule ??= require('ioredis') as typeof import('ioredis'));
}
