import type { LayoutResult } from './layout-run.js';

const pct = (x: number) => `${x.toFixed(1)} %`;
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
const usd = (x: number) => `$${x < 0.01 ? x.toPrecision(3) : x.toFixed(2)}`;

/** A layout's p95 within this share of the best counts as "as fast". */
const LATENCY_TOLERANCE = 0.1;

/**
 * A short recommendation that follows from the numbers: where cold starts,
 * latency and cost are lowest, whether the seed's claim (microservices stay
 * warm more often than nanoservices, and so answer quicker) held, and which
 * layout to pick: among those within 10 % of the best p95, the fewest cold
 * starts, then the lowest cost, then the fewest functions to manage.
 */
export function recommend(results: readonly LayoutResult[]): string[] {
  if (results.length === 0) return [];
  const lines: string[] = [];
  const failing = results.filter((r) => r.requests.failed > 0);
  for (const r of failing) {
    lines.push(`${r.layout}: ${r.requests.failed} of ${r.requests.sent} requests failed (first: ${r.requests.firstError}); its figures are not comparable.`);
  }
  const min = (key: (r: LayoutResult) => number) => [...results].sort((a, b) => key(a) - key(b))[0]!;
  const max = (key: (r: LayoutResult) => number) => [...results].sort((a, b) => key(b) - key(a))[0]!;
  if (results.length > 1) {
    const cold = min((r) => r.coldStartPct);
    const hot = max((r) => r.coldStartPct);
    lines.push(cold.coldStarts === hot.coldStarts
      ? `Cold starts: ${cold.coldStarts} in every layout.`
      : `Fewest cold starts: ${cold.layout} (${cold.coldStarts}, ${pct(cold.coldStartPct)} of invocations); most: ${hot.layout} (${hot.coldStarts}, ${pct(hot.coldStartPct)}).`);
    const fast = min((r) => r.latencyMs.p95);
    const slow = max((r) => r.latencyMs.p95);
    lines.push(`Lowest client p95: ${fast.layout} (${ms(fast.latencyMs.p95)}); highest: ${slow.layout} (${ms(slow.latencyMs.p95)}).`);
    const cheap = min((r) => r.cost.total);
    const dear = max((r) => r.cost.total);
    lines.push(`Cheapest at Lambda prices: ${cheap.layout} (${usd(cheap.cost.total)}, ${cheap.gbSeconds.toFixed(3)} GB-s); dearest: ${dear.layout} (${usd(dear.cost.total)}, ${dear.gbSeconds.toFixed(3)} GB-s).`);
  }
  const nano = results.find((r) => r.layout === 'nano');
  const micro = results.find((r) => r.layout === 'micro');
  if (nano && micro) {
    const warmer = micro.warmHitRatio > nano.warmHitRatio;
    const quicker = micro.latencyMs.p95 < nano.latencyMs.p95;
    const verdict = warmer && quicker ? 'holds here' : warmer ? 'holds for warmth but not for latency here' : quicker ? 'holds for latency but not for warmth here' : 'does not hold here';
    lines.push(
      `The seed's claim — microservices stay warm more often than nanoservices and so answer quicker — ${verdict}: ` +
      `warm hits micro ${pct(100 * micro.warmHitRatio)} vs nano ${pct(100 * nano.warmHitRatio)}, p95 ${ms(micro.latencyMs.p95)} vs ${ms(nano.latencyMs.p95)}.`,
    );
  }
  const usable = results.filter((r) => r.requests.failed === 0);
  if (usable.length > 0) {
    const best = Math.min(...usable.map((r) => r.latencyMs.p95));
    const candidates = usable.filter((r) => r.latencyMs.p95 <= best * (1 + LATENCY_TOLERANCE));
    candidates.sort((a, b) => a.coldStarts - b.coldStarts || a.cost.total - b.cost.total || a.functions.length - b.functions.length);
    const pick = candidates[0]!;
    const others = usable.filter((r) => r !== pick).map((r) => `${r.layout} ${r.functions.length}`).join(', ');
    lines.push(
      `Recommendation for this API and this traffic: ${pick.layout} — ` +
      `${candidates.length > 1 ? `within ${LATENCY_TOLERANCE * 100} % of the best p95, the fewest cold starts and lowest cost among those` : 'the lowest p95'}, ` +
      `with ${pick.functions.length} function${pick.functions.length === 1 ? '' : 's'} to manage${others ? ` (${others})` : ''}.`,
    );
  }
  return lines;
}
