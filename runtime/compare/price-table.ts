/**
 * What Lambda charges, to turn measured invocations and GB-seconds into
 * money. Defaults: AWS Lambda on-demand, x86_64, us-east-1, first pricing
 * tier, as published at https://aws.amazon.com/lambda/pricing/ (checked
 * 2025). Override any field in the workload's `prices`.
 */
export interface PriceTable {
  /** USD per million requests. @defaultValue 0.2 */
  requestsPerMillion: number;
  /** USD per GB-second of billed duration. @defaultValue 0.0000166667 */
  gbSecond: number;
  /** Bill the init phase of cold starts too (Lambda does for on-demand functions since August 2025). @defaultValue true */
  billInit: boolean;
  /** Billing granularity, ms. @defaultValue 1 */
  granularityMs: number;
  /** Where the prices come from, shown in reports. */
  source: string;
}

/** Lambda's published prices (x86_64, us-east-1, first tier). */
export const DEFAULT_PRICES: Readonly<PriceTable> = {
  requestsPerMillion: 0.2,
  gbSecond: 0.0000166667,
  billInit: true,
  granularityMs: 1,
  source: 'AWS Lambda on-demand, x86_64, us-east-1, first tier (aws.amazon.com/lambda/pricing)',
};

/** Billed ms of one run: duration (plus init when billed), rounded up to the granularity, at least one unit. */
export function billedMs(prices: PriceTable, durationMs: number, initDurationMs = 0): number {
  const ms = durationMs + (prices.billInit ? initDurationMs : 0);
  return Math.max(prices.granularityMs, Math.ceil(ms / prices.granularityMs) * prices.granularityMs);
}
