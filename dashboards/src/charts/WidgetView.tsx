/**
 * Draws any widget from its data: the ECharts types through `EChart`, the counter, leaderboard
 * and statements table as components; loading, error and empty states; and, for every type, the
 * drawn figures in a hidden table. Hooks for tests: `data-testid="widget-<id>"` and
 * `data-state` (loading | error | empty | ready) on the root.
 */
import { useMemo } from 'react';
import type { WidgetData, WidgetSpec } from './types';
import { readOptions } from './options';
import { buildOption, drawn, isEmpty, mismatch } from './build';
import { EChart } from './EChart';
import { Counter } from './Counter';
import { Leaderboard } from './Leaderboard';
import { StatementsTable } from './StatementsTable';
import { DrawnValues } from './DrawnValues';
import css from './widgets.module.css';

export interface WidgetViewProps {
  widget: WidgetSpec & { id?: string };
  /** The widget's data; undefined while it loads. */
  data: WidgetData | undefined;
  loading?: boolean;
  error?: unknown;
  /** Height in pixels; by default the view fills its box. */
  height?: number;
  /** Statements table: asks for the page at a cursor (null: the first). */
  onPage?: (cursor: string | null) => void;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'string' ? e : 'The data could not be loaded.';
}

export function WidgetView({ widget, data, loading = false, error, height, onPage }: WidgetViewProps) {
  const o = useMemo(() => readOptions(widget.options), [widget.options]);
  const option = useMemo(() => (data === undefined ? null : buildOption(widget, data)), [widget, data]);
  const figures = useMemo(() => (data === undefined ? null : drawn(widget, data)), [widget, data]);
  const wrong = data === undefined ? null : mismatch(widget, data);
  const state =
    error !== undefined && error !== null
      ? 'error'
      : data === undefined || wrong !== null
        ? wrong !== null && !loading
          ? 'error'
          : 'loading'
        : isEmpty(data)
          ? 'empty'
          : 'ready';

  let body;
  if (state === 'error') {
    body = (
      <div className={css.error} role="alert">
        {wrong ?? messageOf(error)}
      </div>
    );
  } else if (state === 'loading') {
    body = (
      <div className={css.state} role="status">
        Loading…
      </div>
    );
  } else if (state === 'empty') {
    body = <div className={css.state}>No statements match in this period.</div>;
  } else if (data !== undefined) {
    const q = widget.query;
    if (widget.type === 'counter' && data.kind === 'aggregate' && q.kind === 'aggregate') {
      body = <Counter query={q} data={data} o={o} />;
    } else if (widget.type === 'leaderboard' && data.kind === 'aggregate' && q.kind === 'aggregate') {
      body = <Leaderboard query={q} data={data} o={o} />;
    } else if (widget.type === 'table' && data.kind === 'statements' && q.kind === 'statements') {
      body = <StatementsTable query={q} data={data} o={o} onPage={onPage} />;
    } else if (option !== null) {
      body = (
        <div className={css.fill}>
          <EChart option={option} label={widget.title || widget.type} />
        </div>
      );
    }
  }

  return (
    <div
      className={css.view}
      style={height === undefined ? undefined : { height }}
      data-testid={`widget-${widget.id ?? 'preview'}`}
      data-type={widget.type}
      data-state={state}
      aria-busy={loading}
    >
      {body}
      {state === 'ready' && figures !== null && widget.type !== 'table' && (
        <DrawnValues drawn={figures} title={widget.title} o={o} />
      )}
    </div>
  );
}
