import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../runtime/config/load-config.js';
import { ConfigError } from '../../../runtime/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'neolith-load-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfigFile', () => {
  it('reads a JSON config that starts with a byte-order mark, as Node\'s require() does', async () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, '\uFEFF{"functions":{}}');
    expect(await loadConfigFile(file)).toEqual({ functions: {} });
  });

  it('says what a config module threw, whatever it is (null, a string)', async () => {
    for (const [name, thrown, says] of [['null.mjs', 'null', ': null'], ['text.mjs', '"a string"', ': a string']] as const) {
      const file = join(dir, name);
      writeFileSync(file, `throw ${thrown};\n`);
      const error = await loadConfigFile(file).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([`${file} must load without throwing${says}`]);
    }
  });
});
