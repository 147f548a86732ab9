import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Where a function's handler is: its module file and the export path within it (dots for nesting). */
export interface HandlerLocation {
  modulePath: string;
  exportName: string;
}

/** The extensions Lambda's Node runtime tries for a handler module, in its order, then TypeScript's. */
const LAMBDA_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/** A name ending like a module file. */
const MODULE_SUFFIX = /^\.[cm]?[jt]s$/;

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();

/**
 * Reads a `handler` setting in either form:
 * - neolith's `path/to/module.mjs#export` (the export defaults to `handler`);
 * - Lambda's own, as a SAM or CloudFormation template writes it:
 *   `path/to/module.export`, the module named without its extension and the
 *   export after the first dot of the last segment (`src/app.lambdaHandler`,
 *   `index.handlers.get`), the file found as Lambda's runtime finds it
 *   (`.js`, `.mjs`, `.cjs`, in that order; then `.ts`, `.mts`, `.cts`).
 * A path that names an existing file is always neolith's form.
 * Returns undefined when neither form names an existing file.
 */
export function locateHandler(handler: string, rootDir: string): HandlerLocation | undefined {
  const hash = handler.indexOf('#');
  const file = hash === -1 ? handler : handler.slice(0, hash);
  const exportName = hash === -1 ? 'handler' : handler.slice(hash + 1);
  const modulePath = isAbsolute(file) ? file : resolve(rootDir, file);
  if (hash !== -1 || isFile(modulePath)) return isFile(modulePath) ? { modulePath, exportName } : undefined;
  const name = basename(modulePath);
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  // "resize.js" where only resize.mjs exists is a file that is missing, not an export named "js".
  if (MODULE_SUFFIX.test(name.slice(dot))) return undefined;
  const stem = join(dirname(modulePath), name.slice(0, dot));
  const found = LAMBDA_EXTENSIONS.map((extension) => stem + extension).find(isFile);
  return found === undefined ? undefined : { modulePath: found, exportName: name.slice(dot + 1) };
}

/**
 * The handler as Lambda names it (its `Handler` setting, `_HANDLER` in the
 * environment): the module's path from the task root without its extension,
 * a dot, the export — `lambdas/resize.handler` — whichever form the config used.
 */
export function lambdaHandlerName(location: HandlerLocation, rootDir: string): string {
  const path = relative(rootDir, location.modulePath);
  return `${path.slice(0, path.length - extname(path).length).split(sep).join('/')}.${location.exportName}`;
}
