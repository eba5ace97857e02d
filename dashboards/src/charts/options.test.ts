import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, DEFAULT_PALETTE, palette, readOptions } from './options';

describe('readOptions', () => {
  it('reads what it understands and drops the rest', () => {
    const o = readOptions({
      colors: ['#ff0000', 'javascript:alert(1)', 12, 'teal'],
      seriesColors: { m0: '#123456', m1: 'url(x)' },
      stacked: true,
      donut: 'yes',
      decimals: 2,
      topN: 0,
      unit: '%',
    });
    expect(o.colors).toEqual(['#ff0000', 'teal']);
    expect(o.seriesColors).toEqual({ m0: '#123456' });
    expect(o.stacked).toBe(true);
    expect(o.donut).toBe(false);
    expect(o.decimals).toBe(2);
    expect(o.topN).toBe(DEFAULT_OPTIONS.topN);
    expect(o.unit).toBe('%');
  });

  it('gives the defaults for anything not an object', () => {
    expect(readOptions(null)).toEqual(DEFAULT_OPTIONS);
    expect(readOptions([1, 2])).toEqual(DEFAULT_OPTIONS);
    expect(palette(readOptions(undefined))).toBe(DEFAULT_PALETTE);
  });
});
