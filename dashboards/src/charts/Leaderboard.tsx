/** The leaderboard widget: a ranked list of the top N, names shown and IRIs on hover. */
import type { AggregateData, AggregateQuery } from './types';
import type { WidgetOptions } from './options';
import { leaderboard } from './models/leaderboard';
import { formatValue } from './labels';
import { seriesColour } from './builders/common';
import css from './widgets.module.css';

export function Leaderboard({ query, data, o }: { query: AggregateQuery; data: AggregateData; o: WidgetOptions }) {
  const entries = leaderboard(query, data, o);
  const tint = `${seriesColour('m0', 0, o)}22`;
  return (
    // Scrolls when long: focusable so a keyboard can scroll it too.
    <ol className={css.board} data-testid="leaderboard" tabIndex={0}>
      {entries.map((e) => (
        <li
          key={e.key}
          className={`${css.entry} ${e.rank <= 3 ? css.top : ''}`}
          title={e.detail ?? e.label}
          data-key={e.key}
        >
          <span className={css.bar} style={{ width: `${Math.round(e.ratio * 100)}%`, background: tint }} />
          <span className={css.rank}>{e.rank}</span>
          <span className={css.name}>{e.label}</span>
          <span className={css.value}>{formatValue(e.value, o)}</span>
        </li>
      ))}
    </ol>
  );
}
