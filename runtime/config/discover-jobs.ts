import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const JOB_FILE = /^([A-Za-z][\w-]*)\.(ts|mts|mjs|js)$/;

/**
 * Finds jobs: `<dir>/<domain>/<job>.(ts|mts|mjs|js)`, named `domain/job`.
 * Folders and files starting with `_` or `.` hold shared code, not jobs;
 * `*.test.*` and `*.d.ts` files are skipped.
 */
export function discoverJobs(dir: string): Record<string, string> {
  const jobs: Record<string, string> = {};
  for (const domain of readdirSync(dir).sort()) {
    if (domain.startsWith('_') || domain.startsWith('.')) continue;
    const domainDir = join(dir, domain);
    if (!statSync(domainDir).isDirectory()) continue;
    for (const file of readdirSync(domainDir).sort()) {
      if (file.endsWith('.d.ts') || file.includes('.test.')) continue;
      const match = JOB_FILE.exec(file);
      if (!match) continue;
      const name = `${domain}/${match[1]}`;
      if (jobs[name] === undefined) jobs[name] = join(domainDir, file);
    }
  }
  return jobs;
}
