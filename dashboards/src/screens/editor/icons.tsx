/** Small line icons of the widget types for the type picker. */
import type { ReactNode } from 'react';
import type { WidgetType } from '../../charts/types';

const P = { fill: 'none', stroke: 'currentColor', strokeWidth: 1.8, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const };

const ICONS: Record<WidgetType, ReactNode> = {
  bar: (<g {...P}><path d="M4 5h12M4 10h16M4 15h9M4 20h6" /></g>),
  column: (<g {...P}><path d="M5 20V10M10 20V4M15 20v-8M20 20V7" /></g>),
  line: (<g {...P}><path d="M3 18l5-6 4 3 5-8 4 4" /></g>),
  pie: (<g {...P}><circle cx="12" cy="12" r="8" /><path d="M12 4v8h8" /></g>),
  counter: (<g {...P}><path d="M4 7h4v10M4 17h8M14 7h6l-4 5a3 3 0 1 1-2 4" /></g>),
  scatter: (<g fill="currentColor"><circle cx="6" cy="17" r="1.8" /><circle cx="10" cy="11" r="1.8" /><circle cx="15" cy="14" r="1.8" /><circle cx="18" cy="6" r="1.8" /><circle cx="13" cy="7" r="1.8" /></g>),
  leaderboard: (<g {...P}><path d="M4 6h2M4 12h2M4 18h2M9 6h11M9 12h8M9 18h5" /></g>),
  table: (<g {...P}><rect x="3" y="5" width="18" height="14" rx="1.5" /><path d="M3 10h18M3 14.5h18M9 5v14" /></g>),
  heatmap: (<g fill="currentColor">{[0, 1, 2].flatMap((r) => [0, 1, 2, 3].map((c) => (<rect key={`${r}${c}`} x={3 + c * 4.7} y={5 + r * 5} width="4" height="4.2" opacity={0.25 + ((r * 4 + c) % 4) * 0.25} />)))}</g>),
  histogram: (<g {...P}><path d="M3 20h18M5 20v-5h3v5M8 20V8h3v12M11 20V5h3v15M14 20v-9h3v9M17 20v-4h3v4" /></g>),
  funnel: (<g {...P}><path d="M3 5h18l-6 7v6l-6 2v-8z" /></g>),
};

export function TypeIcon({ type }: { type: WidgetType }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      {ICONS[type]}
    </svg>
  );
}
