import type { ArrivalPattern, WorkloadOperation } from './workload.js';

/** One planned request: when (ms from the start), which operation, which variables. */
export interface PlannedRequest {
  atMs: number;
  operation: WorkloadOperation;
  variables?: Record<string, unknown>;
}

/**
 * The send times of an open-loop arrival pattern, ms from the start,
 * evenly spaced at the pattern's rate (deterministic: every layout gets the
 * same requests at the same moments).
 */
export function arrivalTimes(arrival: ArrivalPattern, durationMs: number): number[] {
  const times: number[] = [];
  if (arrival.pattern === 'constant') {
    for (let k = 0; k * 1000 / arrival.rate < durationMs; k++) times.push(k * 1000 / arrival.rate);
  } else if (arrival.pattern === 'bursts') {
    const cycle = arrival.burstMs + arrival.idleMs;
    for (let start = 0; start < durationMs; start += cycle) {
      for (let k = 0; k * 1000 / arrival.rate < arrival.burstMs && start + k * 1000 / arrival.rate < durationMs; k++) {
        times.push(start + k * 1000 / arrival.rate);
      }
    }
  } else {
    // Requests so far N(t) = from·t + (to − from)·t² / 2D (t and D in s): the k-th is sent when N(t) = k.
    const d = durationMs / 1000;
    const slope = (arrival.to - arrival.from) / d;
    for (let k = 0; ; k++) {
      const t = slope === 0 ? k / arrival.from : (-arrival.from + Math.sqrt(arrival.from ** 2 + 2 * slope * k)) / slope;
      if (!(t * 1000 < durationMs)) break;
      times.push(t * 1000);
    }
  }
  return times;
}

/** Milliseconds during which requests are being sent (bursts leave out their idle gaps). */
export function activeMs(arrival: ArrivalPattern, durationMs: number): number {
  if (arrival.pattern !== 'bursts') return durationMs;
  const cycle = arrival.burstMs + arrival.idleMs;
  const full = Math.floor(durationMs / cycle);
  return full * arrival.burstMs + Math.min(arrival.burstMs, durationMs - full * cycle);
}

/** The workload's requests: times from the arrival pattern, operations by weight from a seeded sequence. */
export function planRequests(operations: readonly WorkloadOperation[], arrival: ArrivalPattern, durationMs: number, seed = 1): PlannedRequest[] {
  const random = mulberry32(seed);
  const total = operations.reduce((sum, op) => sum + (op.weight ?? 1), 0);
  return arrivalTimes(arrival, durationMs).map((atMs) => {
    let pick = random() * total;
    const operation = operations.find((op) => (pick -= op.weight ?? 1) < 0) ?? operations[operations.length - 1]!;
    const vars = operation.variables;
    const variables = Array.isArray(vars) ? vars[Math.floor(random() * vars.length)] : vars;
    return { atMs, operation, ...(variables !== undefined && { variables }) };
  });
}

/** A small seeded PRNG (mulberry32): the same sequence for every layout and every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
