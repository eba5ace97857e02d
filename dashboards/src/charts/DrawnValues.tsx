/**
 * The figures a widget draws, as a visually hidden table: screen readers read it, and the
 * end-to-end tests compare it with the aggregate API (each row carries its raw keys and values).
 */
import type { Drawn } from './build';
import type { WidgetOptions } from './options';
import { formatValue } from './labels';
import css from './widgets.module.css';

export function DrawnValues({ drawn, title, o }: { drawn: Drawn; title: string; o: WidgetOptions }) {
  return (
    <table className={css.hidden} data-testid="widget-values">
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">Group</th>
          {drawn.columns.map((c, i) => (
            <th key={i} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {drawn.rows.map((r, i) => (
          <tr key={i} data-keys={JSON.stringify(r.keys)} data-values={JSON.stringify(r.values)}>
            <th scope="row">{r.label}</th>
            {r.values.map((v, j) => (
              <td key={j}>{formatValue(v, o)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
