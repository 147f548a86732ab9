import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that always ends. Node's `mkdirSync(dir, { recursive: true })`
 * spins forever where the kernel answers ENOENT under a folder that exists
 * (`/proc/x`: the parent is there, the child can never be made), so a
 * mistyped `--state` hung the host. Here each folder is made at most twice,
 * once before and once after its parents, and the second ENOENT is thrown.
 */
export function makeDirectory(dir: string): void {
  const path = resolve(dir);
  try {
    mkdirSync(path);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A file of that name is not a directory: mkdir's EEXIST would hide that, so say ENOTDIR as `mkdir -p` does.
    if (code === 'EEXIST') {
      if (statSync(path).isDirectory()) return;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR', syscall: 'mkdir', path });
    }
    if (code !== 'ENOENT' || dirname(path) === path) throw error;
  }
  makeDirectory(dirname(path));
  try {
    mkdirSync(path);
  } catch (error) {
    // Made meanwhile by another process (two hosts starting on one state dir).
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw error;
  }
}
