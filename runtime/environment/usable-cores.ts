import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';

/** A file's text, or undefined when it cannot be read (no such file, not Linux, no permission). */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Where cgroup v1 mounts the `cpu` controller (alone or joined with cpuacct, in either order). */
const V1_CPU_MOUNTS = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpuacct,cpu'];

/**
 * The cores this process can keep busy: the CPUs it may run on (Node's
 * `availableParallelism()`), or fewer when its cgroup, or one above it, has
 * a CPU quota — a container run with `--cpus 1`, say — which Node 20 does
 * not see (it answered 2 inside a 1-CPU quota on this 2-core machine). A
 * quota of 1.5 CPUs counts as 2: the second core is there part of the time.
 */
export function usableCores(read: ReadText = readText, parallelism: number = availableParallelism()): number {
  const quota = cgroupCpuQuota(read);
  return quota === undefined ? parallelism : Math.max(1, Math.min(parallelism, Math.ceil(quota)));
}

/**
 * The tightest CPU quota, in CPUs, on this process's cgroup and its
 * ancestors (a parent's quota bounds its children), cgroup v2 or v1;
 * undefined when there is none or it cannot be read. A path that does not
 * exist under the mount (a container without its own cgroup namespace
 * sees its host's path) is skipped, down to the mount's root, which is then
 * the container's own.
 */
export function cgroupCpuQuota(read: ReadText): number | undefined {
  const membership = read('/proc/self/cgroup');
  if (membership === undefined) return undefined;
  let tightest: number | undefined;
  const consider = (cpus: number | undefined): void => {
    if (cpus !== undefined && (tightest === undefined || cpus < tightest)) tightest = cpus;
  };
  for (const line of membership.split('\n')) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!match) continue;
    const [, hierarchy, controllers, path] = match as unknown as [string, string, string, string];
    // A cgroup outside this namespace's root (`/../x`): not under the mount, nothing to read there.
    if (path.split('/').includes('..')) continue;
    if (hierarchy === '0' && controllers === '') {
      for (const dir of ancestors(path)) consider(cpuMaxQuota(read(posix.join('/sys/fs/cgroup', dir, 'cpu.max'))));
    } else if (controllers.split(',').includes('cpu')) {
      for (const mount of V1_CPU_MOUNTS) {
        for (const dir of ancestors(path)) {
          const at = posix.join(mount, dir);
          consider(cfsQuota(read(posix.join(at, 'cpu.cfs_quota_us')), read(posix.join(at, 'cpu.cfs_period_us'))));
        }
      }
    }
  }
  return tightest;
}

/** `/a/b` → `/a/b`, `/a`, `/`. */
function ancestors(path: string): string[] {
  const dirs = [path];
  for (let dir = path; dir !== '/' && dir !== '.'; ) dirs.push((dir = posix.dirname(dir)));
  return [...new Set(dirs)];
}

/** cgroup v2 `cpu.max`: `"<quota> <period>"` in µs, or `"max <period>"` for none. */
export function cpuMaxQuota(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  return cpus(quota, period);
}

/** cgroup v1: `cpu.cfs_quota_us` (-1 for none) over `cpu.cfs_period_us`. */
export function cfsQuota(quota: string | undefined, period: string | undefined): number | undefined {
  return cpus(quota?.trim(), period?.trim());
}

function cpus(quota: string | undefined, period: string | undefined): number | undefined {
  if (quota === undefined || period === undefined || !/^\d+$/.test(quota) || !/^\d+$/.test(period)) return undefined;
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? q / p : undefined;
}
