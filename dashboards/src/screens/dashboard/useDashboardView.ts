// What the open dashboard shows: time range, time zone and filter. Analysts' changes are saved
// to the dashboard (every widget and every later visitor follows them); viewers change only
// their own view. Also resolves the range to the from/to sent with every widget's request.
import { useState } from "react";
import { useDashboardEdits } from "../../api/dashboards";
import type { DataParams } from "../../api/analytics";
import type { Dashboard, Filter, TimeRange } from "../../api/types";
import { resolveRange } from "../../lib/timeRange";

export type View = { range: TimeRange; tz: string; filter: Filter | null };

export function useDashboardView(d: Dashboard, editable: boolean) {
  const edits = useDashboardEdits(d.id);
  const [local, setLocal] = useState<Partial<View>>({});
  const view: View = {
    range: local.range ?? d.time_range,
    tz: local.tz ?? d.tz ?? "UTC",
    filter: local.filter !== undefined ? local.filter : (d.filter ?? null),
  };
  const update = (change: Partial<View>) => {
    if (editable) {
      const body: Parameters<typeof edits.patch.mutate>[0] = {};
      if (change.range) body.time_range = change.range;
      if (change.tz) body.tz = change.tz;
      if (change.filter !== undefined) body.filter = change.filter;
      // Show the change at once; the server's answer replaces the cached dashboard.
      setLocal((l) => ({ ...l, ...change }));
      edits.patch.mutate(body, { onSuccess: () => setLocal({}) });
    } else {
      setLocal((l) => ({ ...l, ...change }));
    }
  };
  // Query keys are compared by value, so the widgets keep their cache while the resolved
  // range stays the same (it only moves when the day does).
  const { from, to } = resolveRange(view.range, view.tz);
  const params: DataParams = { from: from.toISOString(), to: to.toISOString(), tz: view.tz };
  if (view.filter) params.filter = view.filter;
  return { view, update, params, saving: edits.patch.isPending, error: edits.patch.error };
}
