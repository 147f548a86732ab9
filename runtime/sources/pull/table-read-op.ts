import type { TableReader } from './tables.js';

/**
 * One read operation of the tables' JSON surface on its parsed body,
 * resolving with the JSON answer; undefined when `op` is not a read.
 */
export function tableReadOp(t: TableReader, table: string, op: string, b: Record<string, unknown>): Promise<unknown> | undefined {
  switch (op) {
    case 'get':
      return t.get(table, b.key as Record<string, unknown>).then((found) => ({ found: found ?? null }));
    case 'query':
      return t.query(table, b.query as Parameters<TableReader['query']>[1]);
    case 'batch-get':
      return t.batchGet(table, b.keys as Array<Record<string, unknown>>).then((found) => ({ found }));
    case 'scan':
      return t.scan(table, {
        ...(b.cursor !== undefined && { cursor: b.cursor as string }), ...(b.limit !== undefined && { limit: b.limit as number }),
      });
    default:
      return undefined;
  }
}
