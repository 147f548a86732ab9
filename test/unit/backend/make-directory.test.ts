import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectory } from '../../../runtime/backend/make-directory.js';

describe('makeDirectory', () => {
  const root = mkdtempSync(join(tmpdir(), 'neolith-make-directory-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('makes every missing folder of the path, and accepts one that exists', () => {
    const deep = join(root, 'a', 'b', 'c');
    makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeDirectory(deep)).not.toThrow();
    expect(() => makeDirectory(`${root}/a/./b/../b/c/`)).not.toThrow();
  });

  it('refuses a path through or onto a file with ENOTDIR', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    expect(() => makeDirectory(file)).toThrow(expect.objectContaining({ code: 'ENOTDIR', message: `ENOTDIR: not a directory, mkdir '${file}'` }));
    expect(() => makeDirectory(join(file, 'state'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  // Node's own recursive mkdirSync spins forever here: the kernel answers ENOENT under a /proc that exists.
  it.runIf(process.platform === 'linux')('ends with ENOENT where a folder cannot be made under one that exists (/proc)', () => {
    expect(() => makeDirectory('/proc/neolith-no-such/state')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => makeDirectory('/proc/neolith-no-such')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
