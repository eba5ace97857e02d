/** The statements table widget: the chosen fields of the matching statements, a page at a time. */
import { useState } from 'react';
import type { StatementsData, StatementsQuery } from './types';
import type { WidgetOptions } from './options';
import { tableColumns, tableRows } from './models/table';
import css from './widgets.module.css';

export interface StatementsTableProps {
  query: StatementsQuery;
  data: StatementsData;
  o: WidgetOptions;
  /** Asks for the page at a cursor (null: the first); without it there is no pager. */
  onPage?: (cursor: string | null) => void;
}

export function StatementsTable({ query, data, o, onPage }: StatementsTableProps) {
  // The cursor of the page shown and those of the pages before it, to go back.
  const [current, setCurrent] = useState<string | null>(null);
  const [trail, setTrail] = useState<(string | null)[]>([]);
  const columns = tableColumns(query.fields, o.labels);
  const rows = tableRows(query.fields, data);
  const next = data.next_cursor ?? null;
  return (
    <>
      <div className={css.tableWrap} tabIndex={0} role="region" aria-label="Statements">
        <table className={css.table} data-testid="statements-table">
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.field} title={c.field}>
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {r.map((cell, j) => (
                  <td key={j} title={cell}>
                    {cell}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {onPage && (trail.length > 0 || next !== null) && (
        <div className={css.pager}>
          <span className="muted">page {trail.length + 1}</span>
          <button
            type="button"
            className="btn small"
            disabled={trail.length === 0}
            onClick={() => {
              const prev = trail[trail.length - 1] ?? null;
              setTrail(trail.slice(0, -1));
              setCurrent(prev);
              onPage(prev);
            }}
          >
            Previous
          </button>
          <button
            type="button"
            className="btn small"
            disabled={next === null}
            onClick={() => {
              setTrail([...trail, current]);
              setCurrent(next);
              onPage(next);
            }}
          >
            Next
          </button>
        </div>
      )}
    </>
  );
}

