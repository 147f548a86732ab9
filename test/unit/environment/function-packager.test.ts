import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '../../../runtime/config/index.js';
import { FunctionPackager } from '../../../runtime/environment/function-packager.js';
import { ConfigError } from '../../../runtime/errors/index.js';

const root = mkdtempSync(join(tmpdir(), 'neolith-packager-'));
const packager = new FunctionPackager(root);
afterAll(() => {
  packager.close();
  rmSync(root, { recursive: true, force: true });
});

const spec = (name: string, file: string): FunctionSpec => ({
  name, kind: 'handler', modulePath: join(root, file), exportName: 'handler', jobs: {},
  memoryMB: 128, timeoutMs: 3000, provisionedConcurrency: 0, environment: {}, ephemeralStorageMB: 512,
} as unknown as FunctionSpec);

describe('FunctionPackager, CommonJS handlers', () => {
  it('refuses a CommonJS handler with a syntax error at start, naming the file and line, as it does an ES module', async () => {
    writeFileSync(join(root, 'broken.cjs'), 'exports.handler = async () => {\n  return 1;\n}}\n');
    const problems = await packager.packageAll([spec('broken', 'broken.cjs')]).then(() => [], (error: unknown) => {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    });
    expect(problems).toEqual([expect.stringMatching(/^function broken must build: \S*broken\.cjs:3: Unexpected token '}'$/)]);
  });

  it('accepts a valid CommonJS handler, with a #! line and a byte order mark, without running it', async () => {
    writeFileSync(join(root, 'fine.cjs'), '\uFEFF#!/usr/bin/env node\nthrow new Error("not run at start");\nexports.handler = async () => 1;\n');
    const packages = await packager.packageAll([spec('fine', 'fine.cjs')]);
    expect(packages.get('fine')).toMatchObject({ exportName: 'handler', jobBundle: false });
  });
});
