import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import semver from 'semver';

/**
 * npm only warns (EBADENGINE) when an installed package does not support the
 * Node it runs on; a dependency update can bring such a package in silently.
 * The lockfile records every package's `engines`, so this reads them.
 */
interface LockedPackage { engines?: { node?: string }; dev?: boolean; optional?: boolean }

const root = new URL('../../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, LockedPackage> };

function unsupported(node: string, keep: (entry: LockedPackage) => boolean): string[] {
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && keep(entry) && entry.engines?.node !== undefined)
    .filter(([, entry]) => !semver.satisfies(node, entry.engines!.node!, { includePrerelease: true }))
    .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')} needs node ${entry.engines!.node}`);
}

describe('installed packages and the Node they need', () => {
  it('every package installed for this platform supports the Node running the tests', () => {
    // Optional packages are platform builds (rolldown's per-OS bindings); npm skips the ones that do not fit.
    expect(unsupported(process.version, (entry) => !entry.optional)).toEqual([]);
  });

  it('every runtime dependency supports the oldest Node that package.json promises', () => {
    const oldest = semver.minVersion(manifest.engines.node)!.version;
    expect(unsupported(oldest, (entry) => !entry.dev && !entry.optional)).toEqual([]);
  });
});
