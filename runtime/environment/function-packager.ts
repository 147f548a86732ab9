import { readFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileFunction } from 'node:vm';
import { build, type Metafile } from 'esbuild';
import { init as initCjsLexer, parse as parseCjs } from 'cjs-module-lexer';
import type { FunctionSpec } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { isCommonJs } from './module-format.js';

/** A function's code as environments load it. */
export interface FunctionPackage {
  moduleUrl: string;
  exportName: string;
  jobBundle: boolean;
  /** Source files the package was built from (for `--watch`). */
  inputs: string[];
}

let buildCounter = 0;

/**
 * Turns each function into one module a worker can import without a compiler:
 * job functions are bundled by esbuild (the layout decides what goes in one
 * bundle, as packaging a Lambda would), TypeScript handlers are compiled, and
 * plain JavaScript handlers are loaded as they are. Done once at start and
 * again for a function whose files changed, never on the invoke path.
 */
export class FunctionPackager {
  readonly #rootDir: string;
  readonly #buildDir: string;

  constructor(rootDir: string) {
    this.#rootDir = rootDir;
    this.#buildDir = join(rootDir, '.neolith', 'build', `${process.pid}-${++buildCounter}`);
  }

  /** Packages every function, collecting every missing-export problem before throwing. */
  async packageAll(specs: readonly FunctionSpec[]): Promise<Map<string, FunctionPackage>> {
    await initCjsLexer();
    const packages = new Map<string, FunctionPackage>();
    const problems: string[] = [];
    await Promise.all(specs.map(async (spec) => {
      try {
        packages.set(spec.name, await this.package(spec));
      } catch (error) {
        if (error instanceof ConfigError) problems.push(...error.problems);
        else throw error;
      }
    }));
    if (problems.length > 0) throw new ConfigError(problems);
    return packages;
  }

  /** Packages one function; throws a `ConfigError` naming the missing handler. */
  async package(spec: FunctionSpec): Promise<FunctionPackage> {
    if (spec.kind === 'jobs') return this.#bundleJobs(spec);
    const file = spec.modulePath!;
    const where = `functions.${spec.name}.handler`;
    const exportRoot = spec.exportName.split('.')[0]!;
    if (/\.(mjs|cjs|js)$/.test(file)) {
      if (isCommonJs(file)) {
        const source = readFileSync(file, 'utf8');
        checkCommonJsSyntax(source, file, spec.name);
        await initCjsLexer();
        const { exports, reexports } = parseCjs(source);
        if (reexports.length === 0 && !exports.includes(exportRoot)) {
          throw new ConfigError([`${where} must name an exported function: ${relative(process.cwd(), file)} does not export "${exportRoot}" (exports: ${exports.join(', ') || 'none'})`]);
        }
        return { moduleUrl: pathToFileURL(file).href, exportName: spec.exportName, jobBundle: false, inputs: [file] };
      }
      const { exports, inputs } = await this.#analyse(file, spec.name);
      this.#requireExport(exports, exportRoot, where, file);
      return { moduleUrl: pathToFileURL(file).href, exportName: spec.exportName, jobBundle: false, inputs };
    }
    const outfile = join(this.#buildDir, `${spec.name}.mjs`);
    const meta = await this.#bundle({ entryPoints: [file], outfile }, spec.name);
    this.#requireExport(meta.exports, exportRoot, where, file);
    return { moduleUrl: `${pathToFileURL(outfile).href}`, exportName: spec.exportName, jobBundle: false, inputs: meta.inputs };
  }

  /** Removes this host's build output. */
  close(): void {
    rmSync(this.#buildDir, { recursive: true, force: true });
  }

  async #bundleJobs(spec: FunctionSpec): Promise<FunctionPackage> {
    const jobs = Object.entries(spec.jobs);
    // `import { handler }` makes esbuild refuse a job that lacks one; `* as` carries the optional `batch` flag.
    const entry = [
      ...jobs.map(([, file], i) => `import * as j${i} from ${JSON.stringify(file)};\nimport { handler as h${i} } from ${JSON.stringify(file)};`),
      `export const jobs = {`,
      ...jobs.map(([job], i) => `  ${JSON.stringify(job)}: { handler: h${i}, batch: j${i}.batch === true },`),
      `};`,
    ].join('\n');
    mkdirSync(this.#buildDir, { recursive: true });
    const entryFile = join(this.#buildDir, `${spec.name}.entry.mjs`);
    writeFileSync(entryFile, entry);
    const outfile = join(this.#buildDir, `${spec.name}.mjs`);
    const meta = await this.#bundle({ entryPoints: [entryFile], outfile }, spec.name);
    return {
      moduleUrl: `${pathToFileURL(outfile).href}`,
      exportName: 'jobs',
      jobBundle: true,
      inputs: meta.inputs.filter((input) => input !== entryFile),
    };
  }

  /** Reads a module's exports and inputs without writing anything. */
  #analyse(file: string, name: string): Promise<{ exports: string[]; inputs: string[] }> {
    return this.#bundle({ entryPoints: [file], outdir: this.#buildDir, write: false }, name);
  }

  async #bundle(options: { entryPoints: string[]; outfile?: string; outdir?: string; write?: boolean }, name: string): Promise<{ exports: string[]; inputs: string[] }> {
    const meta = await this.#run(options, name);
    const output = Object.values(meta.outputs).find((o) => o.entryPoint !== undefined);
    // Metafile inputs are relative to the build's working directory: resolved against that one, not the
    // process's, which the CLI moves to the task root after the first build (esbuild kept the old one).
    return { exports: output?.exports ?? [], inputs: Object.keys(meta.inputs).map((i) => resolve(this.#rootDir, i)) };
  }

  async #run(options: { entryPoints: string[]; outfile?: string; outdir?: string; write?: boolean }, name: string): Promise<Metafile> {
    try {
      const result = await build({
        ...options,
        absWorkingDir: this.#rootDir,
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: 'linked',
        metafile: true,
        logLevel: 'silent',
      });
      return result.metafile;
    } catch (error) {
      const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } }> }).errors;
      const detail = errors?.map((e) => {
        // The generated entry imports each job's handler: say which job lacks one, not where the entry is.
        const missing = /^No matching export in "(.+)" for import "(.+)"$/.exec(e.text);
        if (missing) return `${missing[1]} must export "${missing[2]}"`;
        return e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text;
      }).join('; ');
      throw new ConfigError([`function ${name} must build: ${detail ?? (error as Error).message}`], { cause: error });
    }
  }

  #requireExport(exports: string[], name: string, where: string, file: string): void {
    if (!exports.includes(name)) {
      throw new ConfigError([`${where} must name an exported function: ${relative(process.cwd(), file)} does not export "${name}" (exports: ${exports.join(', ') || 'none'})`]);
    }
  }
}

/**
 * A CommonJS handler is not bundled (ES modules are, which finds their syntax
 * errors): compile it, unrun, so a syntax error stops the start as an ES
 * module's does, rather than failing every call. Its own `require`s are
 * checked when it loads.
 */
function checkCommonJsSyntax(source: string, file: string, name: string): void {
  try {
    // As Node's loader: without a byte order mark or a #! line (not valid in a function body).
    const body = source.replace(/^\uFEFF/, '').replace(/^#!.*/, '');
    compileFunction(body, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // V8 heads a syntax error's stack with "file:line".
    const line = error.stack?.startsWith(`${file}:`) ? /^\d+/.exec(error.stack.slice(file.length + 1))?.[0] : undefined;
    throw new ConfigError([`function ${name} must build: ${relative(process.cwd(), file)}${line ? `:${line}` : ''}: ${error.message}`], { cause: error });
  }
}
