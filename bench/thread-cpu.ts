/**
 * CPU time per thread of this process, from Linux's /proc/self/task (user +
 * system, in clock ticks of 10 ms). Lets a benchmark say where its CPU went:
 * the main thread, the threads a server started, or the rest (V8's compiler
 * and GC helpers, libuv's pool, threads that exited). Empty off Linux.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000;

/** CPU µs used so far by each live thread, by thread id. */
export function threadCpu(): Map<number, number> {
  const cpu = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return cpu;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after "(comm)": state is 3rd, utime 14th and stime 15th of the whole line.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_US);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return cpu;
}

/** Where the CPU of one window went. */
export interface CpuSplit {
  main: number;
  /** Threads that did not exist when `preexisting` was taken (a server's own). */
  started: number;
  /** Everything else in the process total: V8 and libuv helpers, threads that exited. */
  other: number;
}

/** Splits `totalUs` (process.cpuUsage over the window) between the main thread, started threads and the rest. */
export function splitCpu(before: Map<number, number>, after: Map<number, number>, preexisting: ReadonlySet<number>, totalUs: number): CpuSplit | undefined {
  if (after.size === 0) return undefined;
  let main = 0;
  let started = 0;
  for (const [tid, cpu] of after) {
    const used = cpu - (before.get(tid) ?? 0);
    if (tid === process.pid) main += used;
    else if (!preexisting.has(tid)) started += used;
  }
  return { main, started, other: Math.max(0, totalUs - main - started) };
}
