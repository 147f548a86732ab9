import { describe, expect, it } from 'vitest';
import { InvocationLog } from '../../../runtime/observe/index.js';

const report = (requestId: string, extra: Partial<Parameters<InvocationLog['record']>[0]> = {}) => ({
  requestId, functionName: 'f', handlerLogs: '', durationMs: 1.234, memoryMB: 128, maxMemoryMB: 20, ...extra,
});

describe('InvocationLog', () => {
  it('writes Lambda’s START, END and REPORT lines around the handler’s output', () => {
    const log = new InvocationLog();
    const entry = log.record(report('r1', { handlerLogs: 'line\n', initDurationMs: 12.3456, durationMs: 10.001 }));
    expect(entry.text).toBe(
      'START RequestId: r1 Version: $LATEST\nline\nEND RequestId: r1\n' +
      'REPORT RequestId: r1\tDuration: 10.00 ms\tBilled Duration: 11 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 12.35 ms\t\n',
    );
  });

  it('writes END on a line of its own after output that did not end one', () => {
    expect(new InvocationLog().record(report('r2', { handlerLogs: 'partial' })).text).toMatch(/\npartial\nEND RequestId: r2\n/);
  });

  it('bills at least 1 ms, rounding up', () => {
    expect(new InvocationLog().record(report('r', { durationMs: 0.01 })).text).toContain('Billed Duration: 1 ms');
    expect(new InvocationLog().record(report('r', { durationMs: 2.0001 })).text).toContain('Billed Duration: 3 ms');
  });

  it('appends the attempts of one request id (async retries)', () => {
    const log = new InvocationLog();
    log.record(report('r', { handlerLogs: 'first\n' }));
    log.record(report('r', { handlerLogs: 'second\n' }));
    expect(log.get('r')!.text.match(/START RequestId: r/g)).toHaveLength(2);
    expect(log.get('r')!.text).toMatch(/first[\s\S]*second/);
  });

  it('lists a retried request id once in its function’s log, each attempt once, placed by its last attempt', () => {
    const log = new InvocationLog();
    log.record(report('r', { handlerLogs: 'first\n' }));
    log.record(report('other'));
    log.record(report('r', { handlerLogs: 'second\n' }));
    const recent = log.recent('f');
    expect(recent.map((e) => e.requestId)).toEqual(['other', 'r']);
    const text = recent.map((e) => e.text).join('');
    expect(text.match(/START RequestId: r /g)).toHaveLength(2);
    expect(text.match(/first/g)).toHaveLength(1);
    expect(recent[1]).toBe(log.get('r'));
  });

  it('sends a follower each attempt of a retried request once', () => {
    const log = new InvocationLog();
    const seen: string[] = [];
    const stop = log.follow((e) => seen.push(e.text));
    const first = log.record(report('r', { handlerLogs: 'first\n' }));
    log.record(report('r', { handlerLogs: 'second\n' }));
    stop();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(first.text);
    expect(seen[1]).toMatch(/^START RequestId: r [^]*second\n/);
    expect(seen[1]).not.toContain('first');
    expect(seen.join('')).toBe(log.get('r')!.text);
  });

  it('stays bounded overall and per function', () => {
    const log = new InvocationLog({ maxEntries: 3, maxEntriesPerFunction: 2 });
    for (const id of ['a', 'b', 'c', 'd']) log.record(report(id));
    expect(log.get('a')).toBeUndefined();
    expect(log.get('d')).toBeDefined();
    expect(log.recent('f').map((e) => e.requestId)).toEqual(['c', 'd']);
    // limit 0 asks for nothing (slice(-0) would give everything).
    expect(log.recent('f', 0)).toEqual([]);
  });

  it('keeps at most maxChars of log text in all, across functions (function output can be large)', () => {
    const log = new InvocationLog({ maxChars: 25_000 });
    const big = 'x'.repeat(10_000);
    for (const [id, fn] of [['a', 'f'], ['b', 'g'], ['c', 'f'], ['d', 'g']] as const) log.record(report(id, { functionName: fn, handlerLogs: big }));
    // About 2.5 entries fit: the two oldest went, from the request index and from their functions' lists.
    expect(log.get('a')).toBeUndefined();
    expect(log.get('b')).toBeUndefined();
    expect(log.get('d')!.text).toContain(big);
    expect(log.recent('f').map((e) => e.requestId)).toEqual(['c']);
    expect(log.recent('g').map((e) => e.requestId)).toEqual(['d']);
  });

  it('tails the last 4 KB as base64, starting at a whole character', () => {
    // 6,003 bytes: the last 4,096 would start inside an "é"; the tail starts at the next one.
    const text = `${'é'.repeat(3000)}end`;
    const tail = Buffer.from(InvocationLog.tail(text), 'base64');
    expect(tail.byteLength).toBe(4095);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(tail)).toBe(`${'é'.repeat(2046)}end`);
    // On a boundary already, all 4,096 bytes.
    expect(Buffer.from(InvocationLog.tail(`${text}!`), 'base64').byteLength).toBe(4096);
    expect(InvocationLog.tail('short')).toBe(Buffer.from('short').toString('base64'));
  });

  it('tails an entry as text for a record: START to REPORT of every attempt, starting at a whole character', () => {
    const log = new InvocationLog();
    log.record(report('r', { handlerLogs: 'first\n' }));
    const retried = log.record(report('r', { handlerLogs: 'second\n' }));
    const tail = InvocationLog.tailText(retried);
    expect(tail).toMatch(/^START RequestId: r Version: \$LATEST\nfirst\nEND RequestId: r\nREPORT RequestId: r\t[^\n]*\nSTART RequestId: r [^\n]*\nsecond\nEND RequestId: r\nREPORT RequestId: r\tDuration: 1\.23 ms\t[^\n]*\n$/);
    expect(tail).toBe(retried.text);

    // 'é' is two bytes: 4,096 bytes back from the end falls inside one, which is skipped rather than decoded to U+FFFD.
    const long = log.record(report('long', { handlerLogs: `${'é'.repeat(3000)}x\n` }));
    const cut = InvocationLog.tailText(long);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(cut)).toBeGreaterThan(4090);
    expect(cut).not.toContain('\ufffd');
    expect(cut.startsWith('é')).toBe(true);
    expect(long.text.endsWith(cut)).toBe(true);
  });

  it('tells followers about each new entry until they stop', () => {
    const log = new InvocationLog();
    const seen: string[] = [];
    const stop = log.follow((e) => seen.push(e.requestId));
    log.record(report('x'));
    stop();
    log.record(report('y'));
    expect(seen).toEqual(['x']);
  });
});

describe('InvocationLog eviction', () => {
  it('evicts oldest first across many entries, keeping a retried id until its newest entry ages out', () => {
    const log = new InvocationLog({ maxEntries: 100, maxEntriesPerFunction: 5 });
    log.record(report('retried'));
    for (let i = 0; i < 50; i++) log.record(report(`a${i}`));
    log.record(report('retried'));
    for (let i = 0; i < 3000; i++) log.record(report(`b${i}`));
    expect(log.get('a49')).toBeUndefined();
    expect(log.get('b2900')).toBeDefined();
    expect(log.get('b2899')).toBeUndefined();
    expect(log.get('retried')).toBeUndefined();
  });

  it('keeps a retried id that is newer than the eviction point', () => {
    const log = new InvocationLog({ maxEntries: 3 });
    log.record(report('x'));
    log.record(report('y'));
    log.record(report('x'));
    log.record(report('z'));
    expect(log.get('x')!.text.match(/START/g)).toHaveLength(2);
    expect(log.get('y')).toBeDefined();
    log.record(report('w'));
    expect(log.get('y')).toBeUndefined();
    expect(log.get('x')).toBeDefined();
  });
});

describe('InvocationLog entries', () => {
  it('serialise to JSON with their text, rendered on first read', () => {
    const entry = new InvocationLog().record(report('j', { handlerLogs: 'hello\n' }));
    const json = JSON.parse(JSON.stringify(entry)) as { requestId: string; text: string };
    expect(json.requestId).toBe('j');
    expect(json.text).toBe(entry.text);
    expect(json.text).toContain('hello\n');
  });
});
