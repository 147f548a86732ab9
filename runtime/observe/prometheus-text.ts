/** One sample of a Prometheus text exposition. */
export interface PrometheusSample {
  /** Full sample name, e.g. `neolith_invocation_duration_seconds_sum`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
const SPECIAL: Record<string, number> = { '+Inf': Infinity, Inf: Infinity, '-Inf': -Infinity, NaN: Number.NaN };

/**
 * Parses Prometheus' text exposition format (version 0.0.4) into samples;
 * comments and malformed lines are skipped. Written by hand because
 * prom-client writes this format but does not read it, and reading it back
 * (for `neolith estimate --url`) takes these few lines.
 */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const value = SPECIAL[match[3]!] ?? Number(match[3]);
    if (Number.isNaN(value) && match[3] !== 'NaN') continue;
    const labels: Record<string, string> = {};
    for (const [, key, escaped] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key!] = escaped!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumSamples(samples: readonly PrometheusSample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(match).every(([key, value]) => sample.labels[key] === value)) sum += sample.value;
  }
  return sum;
}
