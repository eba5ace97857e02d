/**
 * The editor's model: what the user has chosen (kept across type changes, so going from a column
 * chart to a table and back loses nothing), the widget it makes (`toSpec`), the reverse
 * (`fromWidget`), and what still stops it from being drawn or saved (`problems`).
 */
import type {
  AggregateQuery,
  Dimension,
  Measure,
  WidgetQuery,
  WidgetSpec,
  WidgetType,
} from '../../charts/types';
import type { Filter } from '../../api/types';
import { typeInfo } from './catalog';

export type StepField = 'verb' | 'object.id';

export interface StepDraft {
  label: string;
  field: StepField;
  value: string;
  /** A step filter the editor cannot show as field = value (kept as it is). */
  raw?: Filter;
}

export interface EditorState {
  type: WidgetType;
  title: string;
  description: string;
  filter: Filter | null;
  /** The first dimension, then the optional one that splits series. */
  dims: Dimension[];
  measures: Measure[];
  ordered: boolean;
  orderMeasure: number;
  orderDir: 'asc' | 'desc';
  limit: number | null;
  compare: boolean;
  bucket: { path: string; width: number };
  steps: StepDraft[];
  by: 'actor' | 'persona';
  fields: string[];
  pageSize: number;
  options: Record<string, unknown>;
}

export const MAX_STEPS = 8;
export const MAX_LIMIT = 1000;

const ADL = 'http://adlnet.gov/expapi/verbs/';

const BASE: EditorState = {
  type: 'bar',
  title: '',
  description: '',
  filter: null,
  dims: ['verb'],
  measures: ['count'],
  ordered: true,
  orderMeasure: 0,
  orderDir: 'desc',
  limit: 10,
  compare: true,
  bucket: { path: 'result.score.scaled', width: 0.1 },
  steps: [
    { label: 'Attempted', field: 'verb', value: `${ADL}attempted` },
    { label: 'Completed', field: 'verb', value: `${ADL}completed` },
    { label: 'Passed', field: 'verb', value: `${ADL}passed` },
  ],
  by: 'actor',
  fields: ['timestamp', 'actor', 'verb', 'object.id', 'result.score.scaled'],
  pageSize: 20,
  options: {},
};

/** A new widget of a type, with choices that draw something on most stores. */
export function defaultState(type: WidgetType): EditorState {
  const s: EditorState = { ...BASE, type, options: {} };
  switch (type) {
    case 'column':
      return { ...s, dims: [{ time: 'week' }, 'verb'], ordered: false, limit: null };
    case 'line':
      return { ...s, dims: [{ time: 'day' }], ordered: false, limit: null };
    case 'pie':
      return { ...s, limit: 8, options: { donut: true } };
    case 'scatter':
      return { ...s, dims: ['activity'], measures: ['unique_actors', { avg: 'result.score.scaled' }], ordered: false, limit: null };
    case 'leaderboard':
      return { ...s, dims: ['actor'] };
    case 'counter':
      return { ...s, dims: [] };
    default:
      return s;
  }
}

/**
 * Changes the type. Query choices still at the old type's defaults give way to the new type's
 * (a new column chart starts over weeks, not over the bar chart's verbs); choices the user made
 * are kept, with what the new type needs filled in.
 */
export function switchType(state: EditorState, type: WidgetType): EditorState {
  const info = typeInfo(type);
  const d = defaultState(type);
  const untouched = queryChoices(state) === queryChoices(defaultState(state.type));
  if (untouched) {
    const options = { ...d.options, ...state.options };
    return { ...d, title: state.title, description: state.description, filter: state.filter, options };
  }
  const next: EditorState = { ...state, type };
  if (info.dims > 0 && next.dims.filter((x) => !isBucket(x)).length === 0) next.dims = d.dims;
  if (next.measures.length < info.measures[0]) {
    next.measures = [...next.measures, ...d.measures.slice(next.measures.length, info.measures[0])];
  }
  const first = next.dims[0];
  if (type === 'leaderboard') next.ordered = true;
  else if (type === 'line' || (typeof first === 'object' && 'time' in first)) next.ordered = false;
  return next;
}

/** Every query choice of the state, as one string to compare. */
function queryChoices(s: EditorState): string {
  const { dims, measures, ordered, orderMeasure, orderDir, limit, compare, bucket, steps, by, fields, pageSize } = s;
  return JSON.stringify([dims, measures, ordered, orderMeasure, orderDir, limit, compare, bucket, steps, by, fields, pageSize]);
}

function isBucket(d: Dimension): boolean {
  return typeof d === 'object' && 'bucket' in d;
}

function withFilter<T extends WidgetQuery>(q: T, filter: Filter | null): T {
  return filter === null ? q : { ...q, filter };
}

function aggregateQuery(s: EditorState): AggregateQuery {
  const info = typeInfo(s.type);
  const m0 = s.measures[0] ?? 'count';
  let q: AggregateQuery;
  switch (s.type) {
    case 'counter':
      q = { kind: 'aggregate', group_by: [], measures: [m0] };
      if (s.compare) q.compare = 'previous_period';
      return q;
    case 'heatmap':
      return { kind: 'aggregate', group_by: [{ time: 'weekday' }, { time: 'hour_of_day' }], measures: [m0] };
    case 'histogram':
      return {
        kind: 'aggregate',
        group_by: [{ bucket: { path: s.bucket.path, width: s.bucket.width } }],
        measures: [m0],
      };
    default: {
      const dims = s.dims.filter((d) => !isBucket(d)).slice(0, info.dims);
      const measures = s.measures.slice(0, info.measures[1]);
      q = { kind: 'aggregate', group_by: dims, measures };
      if (info.order && s.ordered) {
        q.order_by = { measure: Math.min(s.orderMeasure, measures.length - 1), dir: s.orderDir };
        if (s.limit !== null) q.limit = s.limit;
      }
      return q;
    }
  }
}

/** The widget the choices make. */
export function toSpec(s: EditorState): WidgetSpec {
  let query: WidgetQuery;
  if (s.type === 'funnel') {
    query = {
      kind: 'funnel',
      steps: s.steps.map((st) => ({
        label: st.label.trim() || st.value,
        filter: st.raw && st.value === '' ? st.raw : { field: st.field, eq: st.value },
      })),
      by: s.by,
    };
  } else if (s.type === 'table') {
    query = { kind: 'statements', fields: s.fields, page_size: s.pageSize };
  } else {
    query = aggregateQuery(s);
  }
  return {
    type: s.type,
    title: s.title.trim(),
    description: s.description.trim(),
    query: withFilter(query, s.filter),
    options: s.options,
  };
}

function stepFromFilter(label: string, f: Filter): StepDraft {
  const c = f as { field?: unknown; eq?: unknown };
  if ((c.field === 'verb' || c.field === 'object.id') && typeof c.eq === 'string' && Object.keys(f).length === 2) {
    return { label, field: c.field, value: c.eq };
  }
  return { label, field: 'verb', value: '', raw: f };
}

/** The editor's choices for a saved widget. */
export function fromWidget(w: WidgetSpec): EditorState {
  const s = defaultState(w.type);
  const options = typeof w.options === 'object' && w.options !== null ? { ...(w.options as Record<string, unknown>) } : {};
  const out: EditorState = { ...s, title: w.title, description: w.description, options, filter: w.query.filter ?? null };
  const q = w.query;
  if (q.kind === 'funnel') {
    out.steps = q.steps.map((st) => stepFromFilter(st.label, st.filter));
    out.by = q.by ?? 'actor';
  } else if (q.kind === 'statements') {
    out.fields = q.fields;
    out.pageSize = q.page_size ?? s.pageSize;
  } else {
    const bucket = q.group_by.find(isBucket);
    if (bucket && typeof bucket === 'object' && 'bucket' in bucket) {
      out.bucket = { path: bucket.bucket.path, width: bucket.bucket.width };
    } else if (w.type !== 'heatmap') {
      out.dims = q.group_by;
    }
    out.measures = q.measures.length > 0 ? q.measures : s.measures;
    out.ordered = q.order_by !== undefined && q.order_by !== null;
    out.orderMeasure = q.order_by?.measure ?? 0;
    out.orderDir = q.order_by?.dir ?? 'desc';
    out.limit = q.limit ?? (out.ordered ? null : s.limit);
    out.compare = q.compare === 'previous_period';
  }
  return out;
}

/** What stops the widget from being drawn or saved, in words (empty: nothing). */
export function problems(s: EditorState): string[] {
  const out: string[] = [];
  const info = typeInfo(s.type);
  if (s.title.trim() === '') out.push('Give the widget a title.');
  if (s.type === 'funnel') {
    if (s.steps.length < 2) out.push('A funnel needs at least two steps.');
    if (s.steps.length > MAX_STEPS) out.push(`A funnel has at most ${MAX_STEPS} steps.`);
    s.steps.forEach((st, i) => {
      if (st.value.trim() === '' && st.raw === undefined) out.push(`Step ${i + 1} needs a verb or an activity.`);
    });
    return out;
  }
  if (s.type === 'table') {
    if (s.fields.length === 0) out.push('Choose at least one field to show.');
    return out;
  }
  if (info.dims > 0 && s.dims.filter((d) => !isBucket(d)).length === 0) out.push('Choose what to group by.');
  if (s.measures.length < info.measures[0]) out.push(`Choose ${info.measures[0]} measures.`);
  for (const m of s.measures) {
    if (typeof m === 'object' && Object.values(m)[0] === '') out.push('Choose the field of each numeric measure.');
  }
  if (s.type === 'histogram') {
    if (s.bucket.path.trim() === '') out.push('Choose the numeric field to bucket.');
    if (!(s.bucket.width > 0)) out.push('The bucket width must be above 0.');
  }
  if (info.order && s.ordered && s.limit !== null && (s.limit < 1 || s.limit > MAX_LIMIT || !Number.isInteger(s.limit))) {
    out.push(`Top N is a whole number from 1 to ${MAX_LIMIT}.`);
  }
  return out;
}

/** Sets one display option (undefined or '' removes it). */
export function setOption(s: EditorState, key: string, value: unknown): EditorState {
  const options = { ...s.options };
  if (value === undefined || value === '') delete options[key];
  else options[key] = value;
  return { ...s, options };
}
