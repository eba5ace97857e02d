/** Colours, labels, axis names and the per-type switches (stacked, donut, trend line...). */
import type { EditorState } from './editorState';
import { setOption } from './editorState';
import { DEFAULT_PALETTE, readOptions } from '../../charts/options';
import css from './editor.module.css';

const AXES = new Set(['bar', 'column', 'line', 'scatter', 'histogram', 'heatmap']);

function Toggle({ s, set, name, label }: { s: EditorState; set: (s: EditorState) => void; name: string; label: string }) {
  const o = readOptions(s.options) as unknown as Record<string, unknown>;
  return (
    <label className="inline">
      <input type="checkbox" checked={o[name] === true} onChange={(e) => set(setOption(s, name, e.target.checked))} />
      {label}
    </label>
  );
}

export function AppearanceControls({ s, set }: { s: EditorState; set: (s: EditorState) => void }) {
  const o = readOptions(s.options);
  const colours = o.colors.length > 0 ? o.colors : DEFAULT_PALETTE.slice(0, 4);
  const text = (key: string) => (typeof s.options[key] === 'string' ? (s.options[key] as string) : '');
  return (
    <fieldset className={css.group}>
      <legend>Appearance</legend>
      {s.type === 'column' && <Toggle s={s} set={set} name="stacked" label="Stack the series" />}
      {s.type === 'pie' && <Toggle s={s} set={set} name="donut" label="Donut" />}
      {s.type === 'line' && <Toggle s={s} set={set} name="trend" label="Trend line (least squares)" />}
      {s.type === 'line' && <Toggle s={s} set={set} name="area" label="Fill the area" />}
      {s.type !== 'table' && s.type !== 'counter' && <Toggle s={s} set={set} name="showValues" label="Write the values" />}
      <div className={css.row}>
        <span style={{ flex: '0 0 auto' }}>Colours</span>
        {colours.map((c, i) => (
          <input
            key={i}
            type="color"
            className={css.swatch}
            aria-label={`Colour ${i + 1}`}
            value={/^#[0-9a-fA-F]{6}$/.test(c) ? c : '#2563eb'}
            onChange={(e) => set(setOption(s, 'colors', colours.map((x, j) => (j === i ? e.target.value : x))))}
          />
        ))}
        <button type="button" className="btn ghost small" onClick={() => set(setOption(s, 'colors', undefined))}>Reset</button>
      </div>
      {AXES.has(s.type) && (
        <div className={css.row}>
          <input aria-label="x axis name" placeholder="x axis name" value={text('xAxisName')} onChange={(e) => set(setOption(s, 'xAxisName', e.target.value))} />
          <input aria-label="y axis name" placeholder="y axis name" value={text('yAxisName')} onChange={(e) => set(setOption(s, 'yAxisName', e.target.value))} />
        </div>
      )}
      {s.type !== 'table' && s.type !== 'funnel' && (
        <label>
          Label of the first measure
          <input
            placeholder="e.g. Learners"
            value={o.measureLabels[0] ?? ''}
            onChange={(e) => set(setOption(s, 'measureLabels', e.target.value === '' ? undefined : [e.target.value, ...o.measureLabels.slice(1)]))}
          />
        </label>
      )}
      <div className={css.row}>
        <input aria-label="Unit" placeholder="Unit (e.g. %)" value={o.unit} onChange={(e) => set(setOption(s, 'unit', e.target.value))} />
        <input
          aria-label="Decimals"
          type="number"
          min={0}
          max={10}
          placeholder="Decimals"
          value={o.decimals ?? ''}
          onChange={(e) => set(setOption(s, 'decimals', e.target.value === '' ? undefined : Number(e.target.value)))}
        />
      </div>
    </fieldset>
  );
}
