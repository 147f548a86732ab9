import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StatementsByLimit } from '../../../../runtime/backend/sqlite/statements-by-limit.js';

describe('StatementsByLimit', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY)');
  const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
  for (let n = 1; n <= 40; n++) insert.run(n);
  afterAll(() => db.close());

  it('answers at most `limit` rows, with the limit written into the SQL, one statement per limit', () => {
    const query = new StatementsByLimit(db, 'SELECT n FROM t WHERE n > ? ORDER BY n');
    expect(query.limit(3).all(10)).toEqual([{ n: 11 }, { n: 12 }, { n: 13 }]);
    expect(query.limit(3).source).toBe('SELECT n FROM t WHERE n > ? ORDER BY n LIMIT 3');
    expect(query.limit(3)).toBe(query.limit(3));
    expect(query.limit(0).all(0)).toEqual([]);
    // Negative: no limit, as in SQLite.
    expect(query.limit(-1).all(35)).toHaveLength(5);
  });

  it('keeps answering right for more limits than it keeps prepared', () => {
    const query = new StatementsByLimit(db, 'SELECT n FROM t ORDER BY n', { raw: true });
    for (let round = 0; round < 2; round++) {
      for (let limit = 1; limit <= 40; limit++) expect(query.limit(limit).all()).toEqual(Array.from({ length: limit }, (_, i) => [i + 1]));
    }
  });

  it('refuses a limit that is not a whole number before it reaches the SQL', () => {
    const query = new StatementsByLimit(db, 'SELECT n FROM t');
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(() => query.limit(bad)).toThrow(RangeError);
    expect(() => query.limit('1; DROP TABLE t' as unknown as number)).toThrow(RangeError);
    expect(query.limit(2).all()).toHaveLength(2);
  });
});
