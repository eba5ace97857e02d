import { describe, expect, it } from 'vitest';
import { WIDGET_TYPES } from '../../charts/types';
import type { Dimension } from '../../charts/types';
import { dataKindOf } from '../../charts/build';
import { defaultState, fromWidget, problems, setOption, switchType, toSpec } from './editorState';
import { dimFromValue, dimValue, measureFromParts, measureParts } from './catalog';

function titled(type: (typeof WIDGET_TYPES)[number]) {
  return { ...defaultState(type), title: `A ${type}` };
}

describe('editor state', () => {
  it('makes a valid widget of every type from the defaults, of the data kind the view draws', () => {
    for (const type of WIDGET_TYPES) {
      const s = titled(type);
      expect(problems(s), type).toEqual([]);
      const spec = toSpec(s);
      expect(spec.type).toBe(type);
      expect(spec.query.kind).toBe(dataKindOf(type));
    }
  });

  it('builds each type its query shape', () => {
    const heat = toSpec(titled('heatmap')).query;
    expect(heat).toEqual({ kind: 'aggregate', group_by: [{ time: 'weekday' }, { time: 'hour_of_day' }], measures: ['count'] });
    const counter = toSpec(titled('counter')).query;
    expect(counter).toEqual({ kind: 'aggregate', group_by: [], measures: ['count'], compare: 'previous_period' });
    const hist = toSpec({ ...titled('histogram'), bucket: { path: 'result.score.raw', width: 10 } }).query;
    expect(hist).toEqual({
      kind: 'aggregate',
      group_by: [{ bucket: { path: 'result.score.raw', width: 10 } }],
      measures: ['count'],
    });
    const lb = toSpec({ ...titled('leaderboard'), limit: 5, orderDir: 'asc' }).query;
    expect(lb).toMatchObject({ group_by: ['actor'], order_by: { measure: 0, dir: 'asc' }, limit: 5 });
    const funnel = toSpec(titled('funnel')).query;
    expect(funnel.kind === 'funnel' && funnel.steps[1]).toEqual({
      label: 'Completed',
      filter: { field: 'verb', eq: 'http://adlnet.gov/expapi/verbs/completed' },
    });
    const table = toSpec({ ...titled('table'), fields: ['verb', 'result.success'], pageSize: 50 }).query;
    expect(table).toEqual({ kind: 'statements', fields: ['verb', 'result.success'], page_size: 50 });
  });

  it('keeps the split dimension for the types that split, drops it for the others', () => {
    const dims: Dimension[] = [{ time: 'day' }, 'verb'];
    const s = { ...titled('column'), dims };
    expect(toSpec(s).query).toMatchObject({ group_by: [{ time: 'day' }, 'verb'] });
    expect(toSpec(switchType(s, 'pie')).query).toMatchObject({ group_by: [{ time: 'day' }] });
    // and back: nothing lost
    expect(toSpec(switchType(switchType(s, 'table'), 'column')).query).toMatchObject({ group_by: [{ time: 'day' }, 'verb'] });
  });

  it('starts from the new type\'s defaults when nothing was chosen yet', () => {
    const s = switchType({ ...defaultState('bar'), title: 'Kept' }, 'column');
    expect(s.title).toBe('Kept');
    expect(toSpec(s).query).toEqual(toSpec(defaultState('column')).query);
  });

  it('fills what a new type needs when switching', () => {
    const counter = titled('counter');
    const bar = switchType(counter, 'bar');
    expect(bar.dims).toEqual(['verb']);
    const scatter = switchType({ ...titled('bar'), dims: ['activity'] }, 'scatter');
    expect(scatter.measures).toHaveLength(2);
    expect(problems(scatter)).toEqual([]);
  });

  it('adds the widget filter to the query', () => {
    const f = { field: 'verb', eq: 'http://adlnet.gov/expapi/verbs/passed' };
    expect(toSpec({ ...titled('line'), filter: f }).query.filter).toEqual(f);
    expect('filter' in toSpec(titled('line')).query).toBe(false);
  });

  it('reads a saved widget back into the same choices', () => {
    for (const type of WIDGET_TYPES) {
      const spec = toSpec({ ...titled(type), options: { colors: ['#123456'] }, filter: { field: 'actor', prefix: 'mailto:' } });
      const again = toSpec(fromWidget(spec));
      expect(again, type).toEqual(spec);
    }
  });

  it('keeps funnel steps it cannot edit as they are', () => {
    const raw = { or: [{ field: 'verb', eq: 'a' }, { field: 'verb', eq: 'b' }] };
    const spec = toSpec({ ...titled('funnel') });
    if (spec.query.kind !== 'funnel') throw new Error('not a funnel');
    spec.query.steps[0] = { label: 'Either', filter: raw };
    const s = fromWidget(spec);
    expect(s.steps[0]?.raw).toEqual(raw);
    expect(problems(s)).toEqual([]);
    expect(toSpec(s).query).toEqual(spec.query);
  });

  it('says what is missing', () => {
    expect(problems(defaultState('bar'))).toEqual(['Give the widget a title.']);
    expect(problems({ ...titled('bar'), dims: [] })).toContain('Choose what to group by.');
    expect(problems({ ...titled('histogram'), bucket: { path: 'result.score.scaled', width: 0 } })).toContain(
      'The bucket width must be above 0.',
    );
    expect(problems({ ...titled('funnel'), steps: [{ label: '', field: 'verb', value: '' }] })).toEqual([
      'A funnel needs at least two steps.',
      'Step 1 needs a verb or an activity.',
    ]);
    expect(problems({ ...titled('leaderboard'), limit: 0 })).toContain('Top N is a whole number from 1 to 1000.');
    expect(problems({ ...titled('table'), fields: [] })).toEqual(['Choose at least one field to show.']);
  });

  it('sets and clears options', () => {
    const s = setOption(titled('pie'), 'donut', false);
    expect(s.options.donut).toBe(false);
    expect('unit' in setOption(setOption(s, 'unit', '%'), 'unit', '').options).toBe(false);
  });
});

describe('catalog', () => {
  it('maps dimensions to select values and back, extension paths included', () => {
    for (const d of ['verb', { time: 'hour_of_day' }, { path: 'context.extensions.http://x/e' }] as const) {
      expect(dimFromValue(dimValue(d))).toEqual(d);
    }
    expect(dimFromValue('nonsense')).toBeNull();
  });

  it('maps measures to parts and back', () => {
    expect(measureFromParts('avg', 'result.duration_ms')).toEqual({ avg: 'result.duration_ms' });
    expect(measureParts({ max: 'result.score.raw' })).toEqual({ kind: 'max', field: 'result.score.raw' });
    expect(measureFromParts('unique_actors', '')).toBe('unique_actors');
  });
});
