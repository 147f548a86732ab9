/**
 * A real SIGKILL: a child process accepts events and dies mid-run; reopening
 * the same file runs every accepted event, including the ones that were
 * RUNNING when the process died.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../runtime/backend/index.js';

const child = fileURLToPath(new URL('../fixtures/backend/sqlite-crash-child.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('runs every accepted event after the host was killed with SIGKILL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neolith-sigkill-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const total = 50;
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, String(total)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    proc.kill('SIGKILL');
  });
  const accepted = new Set<string>();
  const startedInChild = new Set<string>();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // Kill once some events are running and some are accepted but not all.
  await new Promise<void>((resolve) => {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { accepted?: string; started?: string };
      if (message.accepted) accepted.add(message.accepted);
      if (message.started) startedInChild.add(message.started);
      if (accepted.size >= 10 && startedInChild.size >= 2) resolve();
    });
  });
  proc.kill('SIGKILL');
  await exited;
  expect(startedInChild.size).toBeGreaterThanOrEqual(2);

  const backend: Backend = createBackend({ kind: 'sqlite', stateDir: dir });
  cleanups.push(() => backend.close());
  await backend.waitUntilReady();
  const remaining = new Set(accepted);
  const reruns: number[] = [];
  const allDone = new Promise<void>((resolve) => {
    backend.watchRecords((record) => {
      if (record.status !== 'SUCCEEDED') return;
      remaining.delete(record.id);
      if (remaining.size === 0) resolve();
    });
  });
  backend.consume(
    async (claimed) => {
      if (startedInChild.has(claimed.requestId)) reruns.push(claimed.attempt);
      return { ok: true, result: 'null' };
    },
    { concurrency: 4 },
  );
  await allDone;
  for (const id of accepted) expect(await backend.getRecord(id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  // The attempts that were running when the process died ran again, still as attempt 1.
  expect(reruns.length).toBeGreaterThanOrEqual(2);
  expect(reruns.every((attempt) => attempt === 1)).toBe(true);
});
