// One dashboard: toolbar (time range, zone, filter, refresh, live), the widget grid, and for
// editors the widget editor and the share dialog.
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useIsFetching, useQueryClient } from "@tanstack/react-query";
import { useDashboard, useDashboardEdits } from "../../api/dashboards";
import { keys } from "../../api/keys";
import { useNames } from "../../api/names";
import type { Dashboard, Role, Widget } from "../../api/types";
import { ConfirmDialog } from "../../components/Modal";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { canEdit, roleOnOrganisation } from "../../lib/roles";
import { useOrganisations, useStores } from "../../api/stores";
import { useMe } from "../../api/session";
import { FilterEditor } from "./FilterEditor";
import { ShareDialog } from "./ShareDialog";
import { Toolbar } from "./Toolbar";
import { useDashboardView } from "./useDashboardView";
import { useLiveMode } from "./useLiveMode";
import { WidgetGrid } from "./WidgetGrid";
import { WidgetEditorSlot } from "./WidgetEditorSlot";

export function DashboardScreen() {
  const { id = "" } = useParams();
  const d = useDashboard(id);
  const role = useStoreRole(d.data?.store);
  if (d.isPending) return <Loading />;
  if (d.error) return <ErrorBox error={d.error} title="This dashboard cannot be opened" />;
  return <Loaded key={d.data.id} d={d.data} role={role} />;
}

function useStoreRole(store: string | undefined): Role | null {
  const me = useMe();
  const stores = useStores(!!me.data);
  const orgs = useOrganisations(!!me.data);
  const s = stores.data?.find((x) => x.id === store);
  return s && me.data ? roleOnOrganisation(me.data, orgs.data ?? [], s.organisation) : null;
}

type Dialog = { kind: "filter" } | { kind: "share" } | { kind: "widget"; widget?: Widget } | { kind: "remove"; widget: Widget };

function Loaded({ d, role }: { d: Dashboard; role: Role | null }) {
  const editable = canEdit(role);
  const qc = useQueryClient();
  const { view, update, params, error } = useDashboardView(d, editable);
  const edits = useDashboardEdits(d.id);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [refresh, setRefresh] = useState(d.refresh_seconds ?? 0);
  const [live, setLive] = useState(false);
  const dataKey = keys.dashboardData(d.id);
  const refreshing = useIsFetching({ queryKey: dataKey }) > 0;
  const liveConnected = useLiveMode(live ? `/api/v1/stores/${encodeURIComponent(d.store)}/progress` : null, dataKey);
  const names = useNames(d.store, filterValues(view.filter)).data ?? {};
  const reload = () => void qc.invalidateQueries({ queryKey: dataKey });

  useEffect(() => {
    if (!refresh) return;
    const t = setInterval(() => void qc.invalidateQueries({ queryKey: dataKey }), refresh * 1000);
    return () => clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refresh, d.id, qc]);

  return (
    <div>
      <div className="page-head">
        <Link to={`/?store=${encodeURIComponent(d.store)}`} className="muted">← Dashboards</Link>
        <h1>{d.name}</h1>
        {d.description && <span className="muted">{d.description}</span>}
        <div className="spacer" />
        {editable && (
          <>
            <button className="btn" onClick={() => setDialog({ kind: "share" })}>Share</button>
            <button className="btn primary" onClick={() => setDialog({ kind: "widget" })}>Add widget</button>
          </>
        )}
      </div>
      <Toolbar range={view.range} tz={view.tz} filter={view.filter} names={(v) => names[v] ?? shortIri(v)}
        onRange={(range) => update({ range })} onTz={(tz) => update({ tz })} onFilter={() => setDialog({ kind: "filter" })}
        onRefresh={reload} refreshing={refreshing} refreshSeconds={refresh}
        onRefreshSeconds={(s) => {
          setRefresh(s);
          if (editable) edits.patch.mutate({ refresh_seconds: s || null });
        }}
        live={live} liveConnected={liveConnected} onLive={setLive} />
      {error && <ErrorBox error={error} title="The change could not be saved" />}
      {d.widgets.length === 0 ? (
        <EmptyState title="This dashboard has no widgets yet"
          action={editable && <button className="btn primary" onClick={() => setDialog({ kind: "widget" })}>Add a widget</button>}>
          {editable ? "Add a chart, a counter, a leaderboard or a table of statements. Each follows the time range and filter above."
            : "An analyst of your organisation can add charts to it."}
        </EmptyState>
      ) : (
        <WidgetGrid dashboard={d} params={params} editable={editable} onSave={(items) => edits.layout.mutate(items)}
          onEdit={(widget) => setDialog({ kind: "widget", widget })} onRemove={(widget) => setDialog({ kind: "remove", widget })} />
      )}
      {dialog?.kind === "filter" && (
        <FilterEditor store={d.store} filter={view.filter} onClose={() => setDialog(null)}
          onApply={(filter) => { update({ filter }); setDialog(null); }} />
      )}
      {dialog?.kind === "share" && <ShareDialog dashboard={d} onClose={() => setDialog(null)} />}
      {dialog?.kind === "widget" && (
        <WidgetEditorSlot storeId={d.store} dashboardId={d.id} widget={dialog.widget} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === "remove" && (
        <ConfirmDialog title="Remove widget" confirmLabel="Remove" pending={edits.removeWidget.isPending}
          error={edits.removeWidget.error} message={<>Remove <strong>{dialog.widget.title}</strong> from this dashboard?</>}
          onClose={() => setDialog(null)} onConfirm={() => edits.removeWidget.mutate(dialog.widget.id, { onSuccess: () => setDialog(null) })} />
      )}
    </div>
  );
}

function filterValues(f: unknown): string[] {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (typeof n === "string") out.push(n);
    else if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === "object") Object.values(n).forEach(walk);
  };
  walk(f);
  return out;
}

/** Without a known name, an IRI's last segment reads better than the whole IRI. */
function shortIri(v: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/.+[/#]([^/#]+)\/?$/i.exec(v);
  return m?.[1] ? decodeURIComponent(m[1]) : v;
}
