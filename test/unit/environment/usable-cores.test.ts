import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cfsQuota, cgroupCpuQuota, cpuMaxQuota, usableCores, type ReadText } from '../../../runtime/environment/usable-cores.js';

/** A file system of these files only. */
const files = (contents: Record<string, string>): ReadText => (path) => contents[path];

describe('usableCores', () => {
  it('reads cgroup v2 cpu.max: a quota in CPUs, none for "max", nothing from malformed text', () => {
    expect(cpuMaxQuota('150000 100000\n')).toBe(1.5);
    expect(cpuMaxQuota('max 100000')).toBeUndefined();
    expect(cpuMaxQuota('')).toBeUndefined();
    expect(cpuMaxQuota(undefined)).toBeUndefined();
    for (const bad of ['-5 100000', '100000', '100000 0', '0 100000', 'abc def', '1e5 100000']) expect(cpuMaxQuota(bad)).toBeUndefined();
  });

  it('reads cgroup v1 cfs quota and period, -1 meaning none', () => {
    expect(cfsQuota('50000\n', '100000\n')).toBe(0.5);
    expect(cfsQuota('-1', '100000')).toBeUndefined();
    expect(cfsQuota('50000', undefined)).toBeUndefined();
  });

  it('takes the tightest quota of the cgroup v2 path and its ancestors', () => {
    const read = files({
      '/proc/self/cgroup': '0::/kubepods/pod1/container\n',
      '/sys/fs/cgroup/kubepods/pod1/container/cpu.max': 'max 100000',
      '/sys/fs/cgroup/kubepods/pod1/cpu.max': '120000 100000',
      '/sys/fs/cgroup/kubepods/cpu.max': '400000 100000',
      '/sys/fs/cgroup/cpu.max': 'max 100000',
    });
    expect(cgroupCpuQuota(read)).toBe(1.2);
    // 1.2 CPUs: the second core is there part of the time.
    expect(usableCores(read, 8)).toBe(2);
    expect(usableCores(read, 1)).toBe(1);
  });

  it('reads a cgroup v1 quota where the cpu controller is mounted, and the mount root when the path is the host\'s', () => {
    const joined = files({
      '/proc/self/cgroup': '4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n2:cpuset:/docker/abc\n',
      // No cgroup namespace: the container sees its own cgroup at the mount root.
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '100000',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000',
    });
    expect(usableCores(joined, 2)).toBe(1);
    const alone = files({
      '/proc/self/cgroup': '1:cpu:/neotest\n',
      '/sys/fs/cgroup/cpu/neotest/cpu.cfs_quota_us': '250000',
      '/sys/fs/cgroup/cpu/neotest/cpu.cfs_period_us': '100000',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
    });
    expect(usableCores(alone, 4)).toBe(3);
  });

  it('keeps the CPUs Node sees with no quota, no cgroup files or garbage in them', () => {
    expect(usableCores(files({}), 6)).toBe(6);
    expect(usableCores(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'max 100000' }), 6)).toBe(6);
    expect(usableCores(files({ '/proc/self/cgroup': 'garbage\n\n::\n0::relative\n', '/sys/fs/cgroup/cpu.max': '100000 100000' }), 6)).toBe(6);
    expect(usableCores(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': '\u0000\u0000 x' }), 6)).toBe(6);
    // A cgroup outside the namespace's root is not read through `..` (here: /sys/fs/cpu.max).
    expect(usableCores(files({ '/proc/self/cgroup': '0::/../other\n', '/sys/fs/cpu.max': '100000 100000', '/sys/fs/cgroup/cpu.max': '100000 100000' }), 6)).toBe(6);
  });

  it('on this machine: between one core and the CPUs Node sees', () => {
    const cores = usableCores();
    expect(cores).toBeGreaterThanOrEqual(1);
    expect(cores).toBeLessThanOrEqual(availableParallelism());
  });
});
