/**
 * Misuse of the tables' write and query inputs, over a real SQLite store:
 * keys that could pose as other keys, attribute names Object.prototype owns,
 * arrays where objects belong, numbers JSON cannot hold, nesting past
 * DynamoDB's 32 levels, and query bounds of the wrong type. Each is refused
 * with InvalidParameterValueError (HTTP 400) or kept as written, never
 * silently changed or turned into a 500.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteSourceStore } from '../../../../runtime/backend/index.js';
import { InvalidParameterValueError } from '../../../../runtime/errors/index.js';
import { numberKeyText, Tables } from '../../../../runtime/sources/pull/tables.js';
import { tempDir } from '../../../support/temp-dir.js';

const TABLE = { shards: 1, retentionHours: 24, streamViewType: 'NEW_AND_OLD_IMAGES' } as const;

describe('table inputs', () => {
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  const stores: SqliteSourceStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const dir of dirs.splice(0)) dir.remove();
  });
  function setupWithStore(): { tables: Tables; store: SqliteSourceStore } {
    const dir = tempDir('neolith-tables-');
    dirs.push(dir);
    const store = new SqliteSourceStore(dir.path);
    stores.push(store);
    const tables = new Tables(store, {
      items: { ...TABLE, partitionKey: 'id' },
      sorted: { ...TABLE, partitionKey: 'pk', sortKey: 'sk' },
    } as never, () => {});
    return { tables, store };
  }
  const setup = (): Tables => setupWithStore().tables;
  /** The error a call rejects with, to assert its class and words. */
  async function refusal(call: Promise<unknown>): Promise<Error> {
    const error = await call.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterValueError);
    return error as Error;
  }

  describe('keys', () => {
    it('keeps a string key that spells a number key apart from that number', async () => {
      const tables = setup();
      const forged = numberKeyText(5); // "\u0001c014000000000000"
      await tables.put('items', { id: 5, who: 'number' });
      expect(await tables.put('items', { id: forged, who: 'string' })).toEqual({ version: 1 });
      expect(await tables.get('items', { id: 5 })).toEqual({ item: { id: 5, who: 'number' }, version: 1 });
      expect(await tables.get('items', { id: forged })).toEqual({ item: { id: forged, who: 'string' }, version: 1 });
      expect(await tables.batchGet('items', [{ id: forged }, { id: 5 }])).toEqual([
        { item: { id: forged, who: 'string' }, version: 1 }, { item: { id: 5, who: 'number' }, version: 1 },
      ]);
    });

    it('keeps sort keys apart too, and strings starting with U+0001 in string order', async () => {
      const tables = setup();
      const keys = ['\u0000z', '\u0001', '\u0001\u0001', '\u0001a', numberKeyText(1), 'a', 'b'];
      for (const sk of [...keys].reverse()) await tables.put('sorted', { pk: 'p', sk, v: sk });
      expect((await tables.query('sorted', { partitionKey: 'p' })).items.map((r) => r.item.sk)).toEqual([...keys].sort());
      expect((await tables.query('sorted', { partitionKey: 'p', beginsWith: '\u0001' })).items.map((r) => r.item.sk))
        .toEqual(['\u0001', '\u0001\u0001', '\u0001a', numberKeyText(1)]);
      expect((await tables.query('sorted', { partitionKey: 'p', from: '\u0001\u0001', to: 'a' })).items.map((r) => r.item.sk))
        .toEqual(['\u0001\u0001', '\u0001a', numberKeyText(1), 'a']);
      await tables.put('sorted', { pk: 'p', sk: 1, v: 'number one' });
      expect((await tables.get('sorted', { pk: 'p', sk: 1 }))?.item.v).toBe('number one');
      expect((await tables.get('sorted', { pk: 'p', sk: numberKeyText(1) }))?.item.v).toBe(numberKeyText(1));
    });

    it('stores every other key as before, so items written earlier are found', async () => {
      const { tables, store } = setupWithStore();
      for (const id of ['plain', '\u0002x', '\u0000y', 7]) await tables.put('items', { id, v: 1 });
      for (const pk of ['plain', '\u0002x', '\u0000y', numberKeyText(7)]) expect(await store.getItem('items', pk, '')).toMatchObject({ version: 1 });
      // Only a string starting with U+0001 gets one more in front: it can no longer equal a number's text.
      await tables.put('items', { id: numberKeyText(5), v: 1 });
      expect(await store.getItem('items', `\u0001${numberKeyText(5)}`, '')).toMatchObject({ version: 1 });
      expect(await store.getItem('items', numberKeyText(5), '')).toBeUndefined();
    });

    it('refuses keys, bounds, prefixes and cursors holding a lone surrogate (UTF-8 has no encoding for one)', async () => {
      const tables = setup();
      await tables.put('sorted', { pk: 'p', sk: '\u{1F600}x' });
      expect((await refusal(tables.put('items', { id: 'a\uD83D' }))).message).toMatch(/^key attribute id must be well-formed Unicode text: it holds a lone surrogate/);
      await refusal(tables.put('sorted', { pk: 'p', sk: '\uDE00' }));
      await refusal(tables.get('items', { id: '\uDE00b' }));
      await refusal(tables.query('sorted', { partitionKey: '\uD83D' }));
      // JavaScript's startsWith would match '\u{1F600}x' here; the stored bytes could not.
      expect((await refusal(tables.query('sorted', { partitionKey: 'p', beginsWith: '\uD83D' }))).message).toMatch(/^beginsWith must be well-formed/);
      await refusal(tables.query('sorted', { partitionKey: 'p', from: '\uD83D' }));
      await refusal(tables.query('sorted', { partitionKey: 'p', cursor: JSON.stringify(['\uD83D']) }));
      expect((await tables.query('sorted', { partitionKey: 'p', beginsWith: '\u{1F600}' })).items).toHaveLength(1);
    });

    it('reads key attributes from the key object itself, not from Object.prototype', async () => {
      const tables = setup();
      const error = await refusal(tables.get('items', Object.create({ id: 'inherited' }) as Record<string, unknown>));
      expect(error.message).toContain('key attribute id must be a non-empty string or a finite number (got undefined)');
    });
  });

  describe('update', () => {
    it('sets an attribute named __proto__ as an attribute, as put does', async () => {
      const tables = setup();
      const changes = JSON.parse('{"__proto__":{"admin":true},"b":2}') as Record<string, unknown>;
      const updated = await tables.update('items', { id: 'u1' }, changes);
      expect(Object.hasOwn(updated.item, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(updated.item)).toBe(Object.prototype);
      const stored = (await tables.get('items', { id: 'u1' }))!.item;
      expect(JSON.stringify(stored)).toBe('{"id":"u1","__proto__":{"admin":true},"b":2}');
      // And removes it again with null, like any attribute.
      const removed = await tables.update('items', { id: 'u1' }, JSON.parse('{"__proto__":null}') as Record<string, unknown>);
      expect(JSON.stringify(removed.item)).toBe('{"id":"u1","b":2}');
    });

    it('refuses changes given as an array or another non-plain object', async () => {
      const tables = setup();
      expect((await refusal(tables.update('items', { id: 'u2' }, ['x', 'y'] as never))).message)
        .toBe('changes must be an object mapping attribute names to values (got ["x","y"])');
      await refusal(tables.update('items', { id: 'u2' }, new Map([['a', 1]]) as never));
      await refusal(tables.update('items', { id: 'u2' }, 'text' as never));
      expect(await tables.get('items', { id: 'u2' })).toBeUndefined();
    });

    it('starts a missing item from its key attributes only, not the rest of the key object', async () => {
      const tables = setup();
      const updated = await tables.update('items', { id: 'u3', junk: 'not an attribute' }, { b: 1 });
      expect(updated.item).toEqual({ id: 'u3', b: 1 });
    });

    it('refuses a condition whose ifNotExists is not a boolean, rather than reading "false" as true', async () => {
      const tables = setup();
      expect((await refusal(tables.update('items', { id: 'u4' }, { b: 1 }, { ifNotExists: 'false' as never }))).message)
        .toBe('ifNotExists must be true or false (got "false")');
      await refusal(tables.put('items', { id: 'u4' }, { ifNotExists: 'false' as never }));
      await refusal(tables.update('items', { id: 'u4' }, { b: 1 }, { expectedVersion: '1' as never }));
    });
  });

  describe('add', () => {
    it('refuses amounts given as an array', async () => {
      const tables = setup();
      expect((await refusal(tables.add('items', { id: 'c1' }, [1] as never))).message)
        .toBe('amounts must be an object mapping attribute names to finite numbers (got [1])');
      expect(await tables.get('items', { id: 'c1' })).toBeUndefined();
    });

    it('refuses a sum that overflows to Infinity instead of storing null', async () => {
      const tables = setup();
      await tables.add('items', { id: 'c2' }, { n: 1.7e308 });
      const error = await refusal(tables.add('items', { id: 'c2' }, { n: 1.7e308 }));
      expect(error.message).toContain('Number overflow: adding 1.7e+308 to attribute n (1.7e+308) gives Infinity');
      expect(await tables.get('items', { id: 'c2' })).toEqual({ item: { id: 'c2', n: 1.7e308 }, version: 1 });
    });

    it('counts an attribute named like an Object.prototype member from 0, as its own attribute', async () => {
      const tables = setup();
      const added = await tables.add('items', { id: 'c3' }, JSON.parse('{"__proto__":2,"toString":3}') as Record<string, number>);
      expect(JSON.stringify(added.item)).toBe('{"id":"c3","__proto__":2,"toString":3}');
    });

    it('refuses to add to a key attribute', async () => {
      const tables = setup();
      expect((await refusal(tables.add('items', { id: 'c4' }, { id: 1 }))).message).toBe('amounts must not set the key attribute id');
    });
  });

  describe('item values', () => {
    const nested = (levels: number): unknown => {
      let v: unknown = 'leaf';
      for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { m: v };
      return v;
    };

    it('takes lists and maps nested 32 levels deep and refuses 33, DynamoDB\'s limit', async () => {
      const tables = setup();
      expect(await tables.put('items', { id: 'd32', x: nested(32) })).toEqual({ version: 1 });
      const error = await refusal(tables.put('items', { id: 'd33', x: nested(33) }));
      expect(error.message).toBe('Nesting Levels have exceeded supported limits: attribute x nests lists and maps more than 32 levels deep');
      expect(await tables.get('items', { id: 'd33' })).toBeUndefined();
    });

    it('refuses nesting deep enough to overflow JSON.stringify with a 400, not a RangeError', async () => {
      const tables = setup();
      const deep = JSON.parse(`{"id":"deep","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`) as Record<string, unknown>;
      await refusal(tables.put('items', deep));
      await refusal(tables.update('items', { id: 'deep' }, { x: deep.x }));
      const cyclic: Record<string, unknown> = { id: 'cycle' };
      cyclic.self = cyclic;
      await refusal(tables.put('items', cyclic));
    });

    it('refuses numbers JSON would store as null', async () => {
      const tables = setup();
      expect((await refusal(tables.put('items', { id: 'inf', n: { deep: [Infinity] } }))).message)
        .toBe('attribute n must hold finite numbers only (got Infinity, which JSON would store as null)');
      await refusal(tables.update('items', { id: 'nan' }, { n: NaN }));
    });

    it('refuses a malformed item of a batch before writing any of it', async () => {
      const tables = setup();
      expect((await refusal(tables.batchPut('items', [{ id: 'ok1' }, null as never]))).message).toBe('items[1] must be an object of attributes (got null)');
      await refusal(tables.batchPut('items', [{ id: 'ok1' }, { id: {} }]));
      // An item whose values are bad, not only its shape or key.
      await refusal(tables.batchPut('items', [{ id: 'ok1' }, { id: 'ok2' }, { id: 'bad', n: NaN }]));
      let deep: unknown = 1;
      for (let i = 0; i < 40; i++) deep = [deep];
      await refusal(tables.batchPut('items', [{ id: 'ok1' }, { id: 'deep', deep }]));
      expect(await tables.get('items', { id: 'ok1' })).toBeUndefined();
      expect(await tables.get('items', { id: 'ok2' })).toBeUndefined();
    });
  });

  describe('query', () => {
    it('refuses bounds that are objects or arrays instead of stringifying them', async () => {
      const tables = setup();
      await tables.put('sorted', { pk: 'p', sk: '[object Object]' });
      expect((await refusal(tables.query('sorted', { partitionKey: 'p', from: {} as never }))).message)
        .toBe('from must be a string or a finite number, as the sort key is (got {})');
      await refusal(tables.query('sorted', { partitionKey: 'p', to: ['a'] as never }));
      expect((await refusal(tables.query('sorted', { partitionKey: 'p', beginsWith: { a: 1 } as never }))).message)
        .toBe('beginsWith must be a string (got {"a":1})');
      await refusal(tables.query('sorted', { partitionKey: 'p', beginsWith: 5 as never }));
    });

    it('refuses a missing or null query with a 400', async () => {
      const tables = setup();
      await refusal(tables.query('sorted', null as never));
      await refusal(tables.query('sorted', undefined as never));
      await refusal(tables.query('sorted', { partitionKey: 'p', reverse: 'yes' as never }));
    });

    it('pages with the cursor it gave, number sort keys included, and refuses one it could not have given', async () => {
      const tables = setup();
      for (const sk of [3, 1, 2, 'a', 'b']) await tables.put('sorted', { pk: 'p', sk });
      const first = await tables.query('sorted', { partitionKey: 'p', limit: 2 });
      expect(first.items.map((r) => r.item.sk)).toEqual([1, 2]);
      const second = await tables.query('sorted', { partitionKey: 'p', limit: 2, cursor: first.next! });
      expect(second.items.map((r) => r.item.sk)).toEqual([3, 'a']);
      const last = await tables.query('sorted', { partitionKey: 'p', limit: 2, cursor: second.next! });
      expect(last).toEqual({ items: [{ item: { pk: 'p', sk: 'b' }, version: 1 }] });
      const backwards = await tables.query('sorted', { partitionKey: 'p', reverse: true, cursor: second.next! });
      expect(backwards.items.map((r) => r.item.sk)).toEqual([3, 2, 1]);
      for (const cursor of [5, {}, ['a'], '', 'a', '["a", "b"]', '[1]', '{"0":"a"}', `["${'a'.repeat(7000)}"]`]) {
        expect((await refusal(tables.query('sorted', { partitionKey: 'p', cursor: cursor as never }))).message)
          .toMatch(/^cursor must be the "next" of the previous page of this query \(got /);
      }
      // A null cursor is no cursor, as null bounds are.
      expect((await tables.query('sorted', { partitionKey: 'p', cursor: null as never })).items).toHaveLength(5);
    });
  });
});
