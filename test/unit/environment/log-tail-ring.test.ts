import { describe, expect, it } from 'vitest';
import { LogTailRing } from '../../../runtime/environment/log-tail-ring.js';

describe('LogTailRing', () => {
  it('reads back what was appended since the last clear', () => {
    const ring = new LogTailRing(new SharedArrayBuffer(8 + 64));
    expect(ring.read()).toBe('');
    ring.append('one\n');
    ring.append('twö\n');
    expect(ring.read()).toBe('one\ntwö\n');
    ring.clear();
    expect(ring.read()).toBe('');
  });

  it('keeps the newest bytes once it went round, from the first whole line', () => {
    const writer = new LogTailRing(new SharedArrayBuffer(8 + 32));
    const reader = new LogTailRing(writer.buffer);
    for (let n = 0; n < 20; n++) writer.append(`line ${n}\n`);
    const text = reader.read();
    expect(text.startsWith('[neolith: earlier output dropped]\n')).toBe(true);
    const lines = text.split('\n').slice(1, -1);
    expect(lines.at(-1)).toBe('line 19');
    expect(lines.every((line, i) => line === `line ${20 - lines.length + i}`)).toBe(true);
    expect(Buffer.byteLength(lines.join('\n'))).toBeLessThanOrEqual(32);
  });

  it('keeps the end of one write larger than the ring', () => {
    const ring = new LogTailRing(new SharedArrayBuffer(8 + 16));
    ring.append(`${'x'.repeat(100)}\nthe end\n`);
    expect(ring.read()).toBe('[neolith: earlier output dropped]\nthe end\n');
  });
});
