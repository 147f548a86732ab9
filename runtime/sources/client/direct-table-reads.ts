/**
 * Loaded by an environment thread on its first table read (see
 * `TableReadsSpec`): the host's table reads on a read-only SQLite connection
 * of the thread's own. It runs the same `TableReader` and body parsing as the
 * host's route, so answers and errors are the host's.
 */
// The reader's own file, not the backend's face: a thread loads only the table reads, not the backend's Redis and queue code.
import { SqliteItemReader } from '../../backend/sources/sqlite-item-reads.js';
import type { TableReadFunction, TableReadsSpec } from '../../environment/protocol.js';
// Its own file, not the errors' face: see sources-client.ts.
import { RouteNotFoundError } from '../../errors/route-not-found-error.js';
import { parseCallBody } from '../json-call-body.js';
import { tableReadOp } from '../pull/table-read-op.js';
import { TableReader } from '../pull/tables.js';

export function openTableReads(spec: TableReadsSpec): TableReadFunction {
  const reader = new TableReader(SqliteItemReader.open(spec.stateDir), spec.tables);
  return async (table, op, body) => {
    const answer = tableReadOp(reader, table, op, parseCallBody(body));
    if (!answer) throw new RouteNotFoundError(`No table read ${op}`);
    return answer;
  };
}
