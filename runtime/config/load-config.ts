import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ConfigError } from '../errors/index.js';

/** Config file names looked for in a folder, in this order. */
export const CONFIG_FILE_NAMES = [
  'neolith.config.ts', 'neolith.config.mts', 'neolith.config.mjs', 'neolith.config.js', 'neolith.config.json',
] as const;

/** Finds the config file in `dir`, or undefined. */
export function findConfigFile(dir: string): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * Reads a config file and returns its default export (or JSON) unvalidated.
 * TypeScript configs are compiled once by esbuild next to the file, so their
 * imports resolve as they would from the file itself.
 */
export async function loadConfigFile(file: string): Promise<unknown> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError([`config file must exist (got ${JSON.stringify(file)})`]);
  if (path.endsWith('.json')) {
    try {
      // A byte-order mark (as Windows editors write one) is not JSON, but Node's own require() of a .json skips it.
      return JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new ConfigError([`${file} must be valid JSON (${(error as Error).message})`], { cause: error });
    }
  }
  let target = path;
  let compiled: string | undefined;
  if (/\.m?ts$/.test(path)) {
    compiled = join(dirname(path), `.neolith.config.${process.pid}.${Date.now()}.mjs`);
    try {
      await build({
        entryPoints: [path], outfile: compiled, bundle: true, packages: 'external',
        platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent',
      });
    } catch (error) {
      throw new ConfigError([`${file} must compile: ${(error as Error).message}`], { cause: error });
    }
    target = compiled;
  }
  try {
    const mod = (await import(pathToFileURL(target).href)) as { default?: unknown };
    if (mod.default === undefined) throw new ConfigError([`${file} must have a default export (export default defineConfig({...}))`]);
    return mod.default;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // A module may throw anything (null, a string): say what it threw.
    const thrown = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`${file} must load without throwing: ${thrown}`], { cause: error });
  } finally {
    if (compiled) rmSync(compiled, { force: true });
  }
}
