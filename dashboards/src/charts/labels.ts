/**
 * Display text: names instead of IRIs (the LRS's names, else the widget's own labels, else a short
 * form of the IRI), time bucket keys as people read them, measures and dimensions in words, and
 * numbers formatted for the reader.
 */
import type { Dimension, Measure, TimeBucket } from './types';
import type { WidgetOptions } from './options';

export const WEEKDAYS = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const FIELD_WORDS: Record<string, string> = {
  'result.score.scaled': 'score (scaled)',
  'result.score.raw': 'score (raw)',
  'result.score.min': 'minimum score',
  'result.score.max': 'maximum score',
  'result.duration_ms': 'duration (ms)',
  'result.success': 'success',
  'result.completion': 'completion',
  'object.id': 'activity',
  'object.type': 'object type',
  'activity.type': 'activity type',
  'context.platform': 'platform',
  'context.language': 'language',
  'context.parent': 'parent activity',
  'context.grouping': 'grouping activity',
  'context.category': 'category',
  'context.other': 'other context activity',
  verb: 'verb',
  actor: 'actor',
  persona: 'person',
  registration: 'registration',
  timestamp: 'timestamp',
  stored: 'stored',
  id: 'statement id',
  seq: 'sequence',
};

/** Whether a key reads like an IRI (or a mailbox). */
export function isIri(s: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s);
}

/** The last meaningful segment of an IRI: `http://x/verbs/completed` -> `completed`. */
export function shortIri(s: string): string {
  if (s.startsWith('mailto:')) return s.slice('mailto:'.length);
  if (!isIri(s)) return s;
  const parts = s.split(/[/#]/).filter((p) => p.length > 0);
  const last = parts[parts.length - 1] ?? s;
  return last.includes(':') && parts.length <= 1 ? s : decodeSafe(last);
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** A time bucket's key as people read it. */
export function timeKeyLabel(bucket: TimeBucket, key: string): string {
  switch (bucket) {
    case 'weekday': {
      const n = Number(key);
      return WEEKDAYS[n - 1] ?? key;
    }
    case 'hour_of_day': {
      const n = Number(key);
      return Number.isInteger(n) ? `${two(n)}:00` : key;
    }
    case 'month': {
      const m = /^(\d{4})-(\d{2})/.exec(key);
      return m ? `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}` : key;
    }
    case 'week': {
      // The week's first day, short enough for an axis: "2 Nov 2026".
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(key);
      return m ? `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}` : key;
    }
    case 'hour':
      return key.length >= 16 ? key.slice(0, 16) : key;
    case 'day':
      return key;
  }
}

/** The text to show for a key of a dimension. */
export function keyLabel(
  dim: Dimension | undefined,
  key: string,
  names: Record<string, string>,
  o: Pick<WidgetOptions, 'labels'>,
): string {
  const own = o.labels[key];
  if (own !== undefined) return own;
  if (dim !== undefined && typeof dim === 'object') {
    if ('time' in dim) return timeKeyLabel(dim.time, key);
    if ('bucket' in dim) return bucketLabel(key, dim.bucket.width);
  }
  if (key === '') return '(none)';
  // A person without a persona is keyed by their identifier, like an actor.
  if (dim === 'actor' || (dim === 'persona' && /^(mbox|mbox_sha1sum|openid|account):/.test(key))) {
    return actorLabel(key);
  }
  const name = names[key];
  if (name !== undefined && name !== '') return name;
  return shortIri(key);
}

/**
 * An actor key (its identifier as stored: `mbox:mailto:…`, `account:homePage|name`,
 * `openid:…`, `mbox_sha1sum:…`) as people read it: the address, the account name, the OpenID
 * or the start of the hash.
 */
export function actorLabel(key: string): string {
  const [kind, ...rest] = key.split(':');
  const value = rest.join(':');
  switch (kind) {
    case 'mbox':
      return value.startsWith('mailto:') ? value.slice('mailto:'.length) : value;
    case 'account': {
      const bar = value.lastIndexOf('|');
      return bar >= 0 ? value.slice(bar + 1) : value;
    }
    case 'openid':
      return value;
    case 'mbox_sha1sum':
      return `sha1 ${value.slice(0, 10)}…`;
    default:
      return key;
  }
}

/** The full text behind a label (an IRI), or null when the label already says it all. */
export function keyDetail(label: string, key: string): string | null {
  return label === key || key === '' ? null : key;
}

/** Rounds away the binary noise of sums like 0.1 + 0.2. */
export function tidy(n: number): number {
  return Number(n.toPrecision(12));
}

/** A histogram bucket `[lower, lower + width)` as text. */
export function bucketLabel(key: string, width: number): string {
  const lo = Number(key);
  if (!Number.isFinite(lo) || key === '') return key === '' ? '(none)' : key;
  return `${tidy(lo)}–${tidy(lo + width)}`;
}

export function fieldLabel(path: string): string {
  const known = FIELD_WORDS[path];
  if (known !== undefined) return known;
  for (const c of ['result.extensions.', 'context.extensions.', 'object.definition.extensions.']) {
    if (path.startsWith(c)) return shortIri(path.slice(c.length));
  }
  return path;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function measureLabel(m: Measure): string {
  if (typeof m === 'string') {
    switch (m) {
      case 'count':
        return 'Statements';
      case 'unique_actors':
        return 'Actors';
      case 'unique_personas':
        return 'People';
      case 'successes':
        return 'Successes';
      case 'completions':
        return 'Completions';
    }
  }
  if ('sum' in m) return `Total ${fieldLabel(m.sum)}`;
  if ('avg' in m) return `Average ${fieldLabel(m.avg)}`;
  if ('min' in m) return `Lowest ${fieldLabel(m.min)}`;
  return `Highest ${fieldLabel(m.max)}`;
}

/** A measure's label: the widget's own, else the measure in words. */
export function measureName(measures: Measure[], i: number, o: WidgetOptions): string {
  const own = o.measureLabels[i];
  if (own !== undefined && own !== '') return own;
  const m = measures[i];
  return m === undefined ? `Value ${i + 1}` : measureLabel(m);
}

export function dimensionLabel(d: Dimension): string {
  if (typeof d === 'string') {
    return capitalise(d === 'persona' ? 'person' : d.replace('_', ' '));
  }
  if ('time' in d) return capitalise(d.time.replace(/_/g, ' '));
  if ('path' in d) return capitalise(fieldLabel(d.path));
  return capitalise(fieldLabel(d.bucket.path));
}

/** Whether a measure adds up (an empty bucket is 0), as opposed to avg/min/max (no value). */
export function isAdditive(m: Measure | undefined): boolean {
  return m === undefined || typeof m === 'string' || 'sum' in m;
}

/** A number for display: grouped digits, the widget's decimals and unit. */
export function formatValue(
  v: number | null | undefined,
  o: Pick<WidgetOptions, 'decimals' | 'unit'>,
): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const digits =
    o.decimals ?? (Number.isInteger(v) ? 0 : Math.abs(v) < 1 ? 3 : Math.abs(v) < 100 ? 2 : 1);
  const text = v.toLocaleString('en-US', {
    minimumFractionDigits: o.decimals ?? 0,
    maximumFractionDigits: digits,
  });
  return `${text}${o.unit}`;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for the HTML of a tooltip (names come from statements: never trust them). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
