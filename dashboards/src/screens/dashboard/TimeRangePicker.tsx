// The time range picker: presets, or a custom from/to (days, inclusive, in the dashboard's zone).
import { useState } from "react";
import type { TimeRange } from "../../api/types";
import { PRESETS, customRange, dayOf, rangeLabel, resolveRange } from "../../lib/timeRange";

export function TimeRangePicker({ range, tz, onChange }: { range: TimeRange; tz: string; onChange: (r: TimeRange) => void }) {
  const [custom, setCustom] = useState(false);
  const r = resolveRange(range, tz);
  const [from, setFrom] = useState(dayOf(r.from, tz));
  const [to, setTo] = useState(dayOf(new Date(r.to.getTime() - 1), tz));
  const value = custom || "from" in range ? "custom" : range.preset;
  const parsed = customRange(from, to, tz);
  return (
    <div className="group" title={rangeLabel(range, tz)}>
      <select
        aria-label="Time range"
        value={value}
        onChange={(e) => {
          if (e.target.value === "custom") setCustom(true);
          else {
            setCustom(false);
            onChange({ preset: e.target.value as (typeof PRESETS)[number]["id"] });
          }
        }}
      >
        {PRESETS.map((p) => (
          <option key={p.id} value={p.id}>{p.label}</option>
        ))}
        <option value="custom">{"from" in range ? rangeLabel(range, tz) : "Custom…"}</option>
      </select>
      {value === "custom" && (
        <>
          <input type="date" aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)} />
          <span className="muted">to</span>
          <input type="date" aria-label="To" value={to} onChange={(e) => setTo(e.target.value)} />
          <button
            className="btn small"
            disabled={!parsed}
            title={parsed ? "" : "The start must be on or before the end"}
            onClick={() => {
              if (parsed) {
                setCustom(false);
                onChange(parsed);
              }
            }}
          >
            Apply
          </button>
        </>
      )}
    </div>
  );
}
