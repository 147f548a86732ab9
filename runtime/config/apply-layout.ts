import type { LayoutMap, LayoutName } from './config-types.js';
import type { ProblemList } from './problem-list.js';

/** The single function of the `mono` layout. */
export const MONO_FUNCTION_NAME = 'app';

/** The function name a job gets in the `nano` layout (`users/getUser` → `users-getUser`). */
export function nanoFunctionName(job: string): string {
  return job.replace('/', '-');
}

/**
 * Groups job names into functions: nano (one each), micro (one per domain),
 * mono (one for all) or an explicit map of function → patterns.
 * @returns function name → its jobs, in a stable order.
 */
export function applyLayout(jobNames: readonly string[], layout: LayoutName | LayoutMap, p: ProblemList): Record<string, string[]> {
  // No prototype: a domain folder named "constructor" or a layout key "__proto__" is a name like any other.
  const groups: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const add = (fn: string, job: string) => (groups[fn] ??= []).push(job);
  if (layout === 'nano') {
    for (const job of jobNames) {
      const fn = nanoFunctionName(job);
      // "a-b/c" and "a/b-c" both make "a-b-c": two jobs must not silently share one function.
      if (groups[fn] !== undefined) p.add('jobs.layout', `give each job its own function: "${groups[fn]![0]}" and "${job}" both become "${fn}"`, 'nano');
      else add(fn, job);
    }
  }
  else if (layout === 'micro') for (const job of jobNames) add(job.split('/')[0]!, job);
  else if (layout === 'mono') for (const job of jobNames) add(MONO_FUNCTION_NAME, job);
  else {
    const owner: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [fn, patterns] of Object.entries(layout)) {
      for (const pattern of patterns) {
        const matched = jobNames.filter((job) => matchesPattern(job, pattern));
        if (matched.length === 0) p.add(`jobs.layout.${fn}`, 'name only existing jobs', pattern);
        for (const job of matched) {
          if (owner[job] !== undefined && owner[job] !== fn) {
            p.add(`jobs.layout.${fn}`, `not claim a job already in function "${owner[job]}"`, job);
            continue;
          }
          if (owner[job] === fn) continue;
          owner[job] = fn;
          add(fn, job);
        }
      }
    }
    for (const job of jobNames) {
      if (owner[job] === undefined) p.add('jobs.layout', 'place every job in a function', job);
    }
  }
  return groups;
}

function matchesPattern(job: string, pattern: string): boolean {
  if (pattern === '*' || pattern === '*/*') return true;
  if (pattern.endsWith('/*')) return job.startsWith(pattern.slice(0, -1));
  return job === pattern;
}
