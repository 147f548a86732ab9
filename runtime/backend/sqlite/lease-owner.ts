import { hostname } from 'node:os';

/**
 * Who holds a claim on the SQLite file, and whether that holder is gone.
 * A lease owner names the machine, the process and the backend instance
 * (`<host>:<pid>:<instance>/<consumer>#<claim>`), so an opening backend can
 * tell a claim of a process that died (taken back at once) from one of a
 * host still running on the same file (left to its lease).
 */

const HOST = hostname();
/** Backend instances open in this process: a claim of this pid by another instance is a dead process's (the pid was reused). */
const openInstances = new Set<string>();
const OWNER = /^([^:]*):(\d+):([^/]+)\//;

/** The owner prefix of one backend instance's consumers. */
export function instanceOwner(instanceId: string): string {
  return `${HOST}:${process.pid}:${instanceId}`;
}

export function markInstanceOpen(instanceId: string): void {
  openInstances.add(instanceId);
}

/** After close, or after abandon (a simulated SIGKILL): its leftover claims belong to no one. */
export function markInstanceGone(instanceId: string): void {
  openInstances.delete(instanceId);
}

/**
 * Whether the holder of a claim is certainly gone. Unknown owners (written
 * by an older version) count as gone; an owner on another machine, or a
 * process that exists but is not ours to signal, does not: its lease decides.
 */
export function isOwnerGone(owner: string | null): boolean {
  const match = owner === null ? null : OWNER.exec(owner);
  if (!match) return true;
  const [, host, pidText, instance] = match;
  if (host !== HOST) return false;
  const pid = Number(pidText);
  if (pid === process.pid) return !openInstances.has(instance!);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
