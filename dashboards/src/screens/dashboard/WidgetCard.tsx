// One widget on the grid: title bar (drag handle, edit and remove for editors) and D's view of
// its data, fetched through the dashboard's time range, zone and filter.
import { useState } from "react";
import { useWidgetData, type DataParams } from "../../api/analytics";
import type { Widget } from "../../api/types";
import { WidgetView } from "../../charts/WidgetView";

export function WidgetCard({ dashboard, widget, params, editable, onEdit, onRemove }: {
  dashboard: string;
  widget: Widget;
  params: DataParams;
  editable: boolean;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const [cursor, setCursor] = useState<string | null>(null);
  const data = useWidgetData(dashboard, widget.id, cursor ? { ...params, cursor } : params);
  return (
    <section className="widget" aria-label={widget.title}>
      <div className="widget-head">
        {editable && <span className="drag" title="Drag to move" aria-hidden>⠿</span>}
        <h3 title={widget.description || widget.title}>{widget.title}</h3>
        {data.isFetching && <span className="muted" style={{ fontSize: 12 }}>updating…</span>}
        {editable && (
          <>
            <button className="btn ghost small no-drag" onClick={onEdit} aria-label={`Edit ${widget.title}`}>Edit</button>
            <button className="btn ghost small no-drag danger" onClick={onRemove} aria-label={`Remove ${widget.title}`}>✕</button>
          </>
        )}
      </div>
      <div className="widget-body no-drag">
        <WidgetView widget={widget} data={data.data} loading={data.isFetching} error={data.error ?? undefined}
          onPage={(c) => setCursor(c)} />
      </div>
    </section>
  );
}
