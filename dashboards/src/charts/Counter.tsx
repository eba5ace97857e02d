/** The counter widget: one big figure and its change against the previous period. */
import type { AggregateData, AggregateQuery } from './types';
import type { WidgetOptions } from './options';
import { counterModel } from './models/counter';
import { formatValue, measureName } from './labels';
import css from './widgets.module.css';

const ARROWS = { up: '▲', down: '▼', flat: '▶', unknown: '' };

export function Counter({ query, data, o }: { query: AggregateQuery; data: AggregateData; o: WidgetOptions }) {
  const c = counterModel(data);
  const label = measureName(query.measures, 0, o);
  const compared = query.compare === 'previous_period';
  return (
    <div className={css.counter} data-testid="counter">
      <div className={css.counterValue} data-testid="counter-value" data-value={c.value ?? ''}>
        {formatValue(c.value, o)}
      </div>
      <div className={css.counterLabel}>{label}</div>
      {compared && c.direction !== 'unknown' && (
        <>
          <div
            className={`${css.change} ${css[c.direction]}`}
            data-testid="counter-change"
            data-value={c.change ?? ''}
            title="Change against the previous period of the same length"
          >
            {ARROWS[c.direction]} {c.change !== null && c.change > 0 ? '+' : ''}
            {formatValue(c.change, o)}
            {c.changePct !== null && ` (${c.changePct > 0 ? '+' : ''}${c.changePct}%)`}
          </div>
          <div className={css.previous}>previous period: {formatValue(c.previous, o)}</div>
        </>
      )}
    </div>
  );
}
