// The dashboard toolbar: time range, time zone, filter, refresh, auto-refresh, live mode, and
// (for editors) add widget and share.
import type { Filter, TimeRange } from "../../api/types";
import { filterToRows, summarize } from "../../lib/filterRows";
import { TimeRangePicker } from "./TimeRangePicker";
import { TimezoneSelect } from "./TimezoneSelect";

const REFRESH_CHOICES = [0, 30, 60, 300, 900];

export function Toolbar(p: {
  range: TimeRange;
  tz: string;
  filter: Filter | null;
  names: (v: string) => string;
  onRange: (r: TimeRange) => void;
  onTz: (tz: string) => void;
  onFilter: () => void;
  onRefresh: () => void;
  refreshing: boolean;
  refreshSeconds: number;
  onRefreshSeconds: (s: number) => void;
  live: boolean;
  liveConnected: boolean;
  onLive: (on: boolean) => void;
}) {
  const rows = filterToRows(p.filter);
  const summary = p.filter ? (rows ? summarize(rows, p.names) : "custom filter") : "";
  return (
    <div className="toolbar" role="toolbar" aria-label="Dashboard controls">
      <TimeRangePicker range={p.range} tz={p.tz} onChange={p.onRange} />
      <TimezoneSelect tz={p.tz} onChange={p.onTz} />
      <button className={p.filter ? "btn active" : "btn"} onClick={p.onFilter} title={summary || "Filter every widget"}>
        {p.filter ? "Filter: " : "Filter"}
        {p.filter && <span className="filter-summary" data-testid="filter-summary">{summary}</span>}
      </button>
      <div className="spacer" />
      <button className="btn" onClick={p.onRefresh} disabled={p.refreshing} aria-label="Refresh">
        {p.refreshing ? "Refreshing…" : "↻ Refresh"}
      </button>
      <select aria-label="Auto-refresh" value={p.refreshSeconds} onChange={(e) => p.onRefreshSeconds(Number(e.target.value))}>
        {REFRESH_CHOICES.map((s) => (
          <option key={s} value={s}>{s === 0 ? "Auto-refresh off" : s < 60 ? `Every ${s} s` : `Every ${s / 60} min`}</option>
        ))}
      </select>
      <button className={p.live ? "btn active" : "btn"} aria-pressed={p.live} onClick={() => p.onLive(!p.live)}
        title="Follow new statements as they arrive">
        <span className={p.live && p.liveConnected ? "live-dot on" : "live-dot"} /> Live
      </button>
    </div>
  );
}
