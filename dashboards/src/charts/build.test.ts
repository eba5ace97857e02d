import { describe, expect, it } from 'vitest';
import { WIDGET_TYPES } from './types';
import { buildOption, dataKindOf, drawn, isEmpty, mismatch, ECHARTS_TYPES } from './build';
import { V, agg, byDayVerb, byVerb, spec } from './__fixtures__/data';

describe('buildOption', () => {
  it('builds an option for every ECharts type and none for the component types', () => {
    const q = agg({ group_by: ['verb'], measures: ['count', 'unique_actors'] });
    for (const type of WIDGET_TYPES) {
      const kind = dataKindOf(type);
      const data =
        kind === 'aggregate'
          ? byVerb
          : kind === 'funnel'
            ? { kind: 'funnel' as const, source: 'raw', steps: [{ label: 'a', count: 2 }] }
            : { kind: 'statements' as const, items: [], next_cursor: null };
      const opt = buildOption(spec(type, q), data);
      expect(opt !== null, type).toBe(ECHARTS_TYPES.has(type));
    }
  });

  it('refuses data of the wrong kind', () => {
    const s = spec('bar', agg({ group_by: ['verb'], measures: ['count'] }));
    expect(mismatch(s, { kind: 'funnel', source: 'raw', steps: [] })).toContain('aggregate');
    expect(buildOption(s, { kind: 'funnel', source: 'raw', steps: [] })).toBeNull();
    expect(isEmpty({ kind: 'aggregate', source: 'raw', names: {}, rows: [] })).toBe(true);
    expect(isEmpty(byVerb)).toBe(false);
  });
});

describe('drawn', () => {
  it('lists each drawn figure with the raw keys the aggregate API answers', () => {
    const d = drawn(spec('column', agg({ group_by: [{ time: 'day' }, 'verb'], measures: ['count'] })), byDayVerb);
    expect(d.columns).toEqual(['Statements']);
    expect(d.rows).toContainEqual({ keys: ['2026-11-04', V.passed], label: '2026-11-04 · passed', values: [14] });
    // the filled gap is drawn as 0
    expect(d.rows).toContainEqual({ keys: ['2026-11-03', V.completed], label: '2026-11-03 · completed', values: [0] });
    expect(d.rows).toHaveLength(8);
  });

  it('gives the counter value and previous period', () => {
    const d = drawn(spec('counter', agg({ group_by: [], measures: ['count'], compare: 'previous_period' })), {
      kind: 'aggregate', source: 'raw', names: {},
      rows: [{ keys: [], values: [42], previous: [40] }],
    });
    expect(d.rows).toEqual([{ keys: [], label: 'Statements', values: [42, 40] }]);
  });

  it('gives the leaderboard in rank order', () => {
    const q = agg({ group_by: ['verb'], measures: ['count'], order_by: { measure: 0, dir: 'desc' }, limit: 2 });
    const d = drawn(spec('leaderboard', q), byVerb);
    expect(d.rows.map((r) => [r.keys[0], r.values[0]])).toEqual([
      [V.answered, 1208],
      [V.launched, 412],
    ]);
  });

  it('gives the heatmap cells keyed in the query order', () => {
    const q = agg({ group_by: [{ time: 'hour_of_day' }, { time: 'weekday' }], measures: ['count'] });
    const d = drawn(spec('heatmap', q), { kind: 'aggregate', source: 'raw', names: {}, rows: [{ keys: ['14', '3'], values: [9] }] });
    expect(d.rows).toHaveLength(168);
    expect(d.rows).toContainEqual({ keys: ['14', '3'], label: 'Wednesday 14:00', values: [9] });
  });

  it('gives funnel steps', () => {
    const q = { kind: 'funnel' as const, steps: [] };
    const d = drawn(spec('funnel', q), { kind: 'funnel', source: 'raw', steps: [{ label: 'Launched', count: 5 }, { label: 'Passed', count: 2 }] });
    expect(d.rows.map((r) => r.values[0])).toEqual([5, 2]);
  });
});
