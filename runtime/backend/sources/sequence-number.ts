/**
 * Sequence numbers: fixed-width decimal strings, so two of one shard compare
 * as strings. SQLite numbers its rows; Redis Streams ids (`ms-n`) map to
 * 14 digits of milliseconds and 7 of the counter, both 21 digits wide.
 */
export const SEQUENCE_WIDTH = 21;

/** A SQLite row id as a sequence number. */
export function rowSequence(rowId: number | bigint): string {
  return String(rowId).padStart(SEQUENCE_WIDTH, '0');
}

/** A sequence number back to a SQLite row id (`''` → 0). */
export function sequenceRow(sequence: string): number {
  return sequence === '' ? 0 : Number(sequence);
}

/** A Redis Streams id as a sequence number. */
export function streamIdSequence(id: string): string {
  const [ms = '0', n = '0'] = id.split('-');
  return ms.padStart(14, '0') + n.padStart(7, '0');
}

/** A sequence number back to a Redis Streams id (`''` → `0-0`). */
export function sequenceStreamId(sequence: string): string {
  if (sequence === '') return '0-0';
  return `${Number(sequence.slice(0, -7))}-${Number(sequence.slice(-7))}`;
}
