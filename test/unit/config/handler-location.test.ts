import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lambdaHandlerName, locateHandler } from '../../../runtime/config/handler-location.js';

const root = mkdtempSync(join(tmpdir(), 'neolith-handler-location-'));
mkdirSync(join(root, 'src', 'v1.2'), { recursive: true });
for (const file of ['index.mjs', 'src/app.js', 'src/app.mjs', 'src/only.cjs', 'src/typed.ts', 'src/v1.2/api.mjs', 'notes.txt']) {
  writeFileSync(join(root, file), '');
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('locateHandler', () => {
  it('reads neolith\'s form: a module file, then #export (default "handler")', () => {
    expect(locateHandler('./index.mjs', root)).toEqual({ modulePath: join(root, 'index.mjs'), exportName: 'handler' });
    expect(locateHandler('./src/app.mjs#main', root)).toEqual({ modulePath: join(root, 'src/app.mjs'), exportName: 'main' });
    expect(locateHandler(join(root, 'index.mjs'), '/elsewhere')).toEqual({ modulePath: join(root, 'index.mjs'), exportName: 'handler' });
  });

  it('reads Lambda\'s form, as a SAM template writes it, finding the file as the runtime does', () => {
    expect(locateHandler('index.handler', root)).toEqual({ modulePath: join(root, 'index.mjs'), exportName: 'handler' });
    // .js before .mjs, as the runtime tries them.
    expect(locateHandler('src/app.lambdaHandler', root)).toEqual({ modulePath: join(root, 'src/app.js'), exportName: 'lambdaHandler' });
    expect(locateHandler('./src/only.handlers.get', root)).toEqual({ modulePath: join(root, 'src/only.cjs'), exportName: 'handlers.get' });
    expect(locateHandler('src/typed.handler', root)).toEqual({ modulePath: join(root, 'src/typed.ts'), exportName: 'handler' });
    // Dots in folder names are not the export's.
    expect(locateHandler('src/v1.2/api.handler', root)).toEqual({ modulePath: join(root, 'src/v1.2/api.mjs'), exportName: 'handler' });
  });

  it('finds nothing for a missing module in either form, or a Lambda form without an export', () => {
    expect(locateHandler('./missing.mjs', root)).toBeUndefined();
    expect(locateHandler('./missing.mjs#handler', root)).toBeUndefined();
    expect(locateHandler('missing.handler', root)).toBeUndefined();
    expect(locateHandler('index', root)).toBeUndefined();
    expect(locateHandler('index.', root)).toBeUndefined();
    expect(locateHandler('.handler', root)).toBeUndefined();
    // A module file that is not there is just missing, though a sibling has another extension.
    expect(locateHandler('./index.js', root)).toBeUndefined();
    expect(locateHandler('src/only.mjs', root)).toBeUndefined();
    expect(locateHandler('src/typed.mts', root)).toBeUndefined();
    // A '#' means neolith's form: the part before it must be the file itself.
    expect(locateHandler('index.handler#x', root)).toBeUndefined();
  });

  it('leaves an existing file of another kind to the caller to refuse', () => {
    expect(locateHandler('./notes.txt', root)).toEqual({ modulePath: join(root, 'notes.txt'), exportName: 'handler' });
  });
});

describe('lambdaHandlerName', () => {
  it('names the handler as Lambda does, from the root, whichever form located it', () => {
    expect(lambdaHandlerName(locateHandler('./src/app.mjs#main', root)!, root)).toBe('src/app.main');
    expect(lambdaHandlerName(locateHandler('./src/only.handlers.get', root)!, root)).toBe('src/only.handlers.get');
    expect(lambdaHandlerName(locateHandler('src/v1.2/api.handler', root)!, root)).toBe('src/v1.2/api.handler');
    expect(lambdaHandlerName(locateHandler('index.handler', root)!, root)).toBe('index.handler');
  });
});
