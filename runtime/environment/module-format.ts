import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Whether Node loads this file as CommonJS (`.cjs`, or `.js` outside a `"type": "module"` package). */
export function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs') || file.endsWith('.cts')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type !== 'module';
      } catch {
        return true;
      }
    }
    if (dirname(dir) === dir) return true;
  }
}
