// A dashboard read through a share link: its widgets laid out as the owner arranged them (static
// grid), data from /api/v1/shared/... with the filter or token of the page URL, following new
// statements live. Errors (revoked, expired, tampered token) replace the whole view.
import { useEffect } from "react";
import { useQueryClient } from "@tanstack/react-query";
import ReactGridLayout, { useContainerWidth } from "react-grid-layout";
import "react-grid-layout/css/styles.css";
import { useSharedWidgetData, type LinkAuth } from "../../api/shared";
import type { useShared } from "./useShared";
import { keys } from "../../api/keys";
import type { SharedDashboard as Shared, Widget } from "../../api/types";
import { WidgetView } from "../../charts/WidgetView";
import { toGrid } from "../../lib/layout";
import { Loading } from "../../components/Status";
import { SharedError } from "./SharedError";
import { useLiveMode } from "../dashboard/useLiveMode";

export function SharedBody({ link, auth, data, rowHeight }: { link: string; auth: LinkAuth; data: Shared; rowHeight: number }) {
  const { width, containerRef, mounted } = useContainerWidth();
  const qc = useQueryClient();
  const q = new URLSearchParams(auth as Record<string, string>).toString();
  useLiveMode(`/api/v1/shared/${encodeURIComponent(link)}/progress${q ? `?${q}` : ""}`, keys.sharedData(link));
  const refresh = data.dashboard.refresh_seconds ?? 0;
  useEffect(() => {
    if (!refresh) return;
    const t = setInterval(() => void qc.invalidateQueries({ queryKey: keys.sharedData(link) }), refresh * 1000);
    return () => clearInterval(t);
  }, [refresh, link, qc]);
  const layout = toGrid(data.dashboard.layout, data.widgets);
  return (
    <div ref={containerRef}>
      {mounted && (
        <ReactGridLayout layout={layout} width={width} gridConfig={{ cols: 12, rowHeight, margin: [10, 10] }}
          dragConfig={{ enabled: false }} resizeConfig={{ enabled: false }}>
          {data.widgets.map((w) => (
            <div key={w.id}>
              <SharedWidget link={link} auth={auth} widget={{ ...w, dashboard: "" }} />
            </div>
          ))}
        </ReactGridLayout>
      )}
    </div>
  );
}

function SharedWidget({ link, auth, widget }: { link: string; auth: LinkAuth; widget: Widget }) {
  const d = useSharedWidgetData(link, widget.id, auth);
  return (
    <section className="widget" aria-label={widget.title}>
      <div className="widget-head"><h3 title={widget.description || widget.title}>{widget.title}</h3></div>
      <div className="widget-body">
        <WidgetView widget={widget} data={d.data} loading={d.isFetching} error={d.error ?? undefined} />
      </div>
    </section>
  );
}

export function SharedState({ q, children }: { q: ReturnType<typeof useShared>["q"]; children: (d: Shared) => React.ReactNode }) {
  if (q.isPending) return <Loading />;
  if (q.error) return <SharedError error={q.error} />;
  return <>{children(q.data)}</>;
}
