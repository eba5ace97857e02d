// The grid of widgets (react-grid-layout, 12 columns): editors drag by the title bar and resize
// from the corner; the new layout is saved with PUT /dashboards/{id}/layout.
import ReactGridLayout, { useContainerWidth, type Layout } from "react-grid-layout";
import "react-grid-layout/css/styles.css";
import "react-resizable/css/styles.css";
import type { DataParams } from "../../api/analytics";
import type { Dashboard, LayoutItem, Widget } from "../../api/types";
import { fromGrid, sameLayout, toGrid } from "../../lib/layout";
import { WidgetCard } from "./WidgetCard";

export function WidgetGrid({ dashboard, params, editable, onSave, onEdit, onRemove, rowHeight = 60 }: {
  dashboard: Dashboard;
  params: DataParams;
  editable: boolean;
  onSave: (items: LayoutItem[]) => void;
  onEdit: (w: Widget) => void;
  onRemove: (w: Widget) => void;
  rowHeight?: number;
}) {
  const { width, containerRef, mounted } = useContainerWidth();
  const layout = toGrid(dashboard.layout, dashboard.widgets);
  const save = (next: Layout) => {
    const items = fromGrid(next);
    if (!sameLayout(items, fromGrid(layout))) onSave(items);
  };
  return (
    <div ref={containerRef}>
      {mounted && (
        <ReactGridLayout
          layout={layout}
          width={width}
          gridConfig={{ cols: 12, rowHeight, margin: [12, 12] }}
          dragConfig={{ enabled: editable, handle: ".widget-head", cancel: ".no-drag" }}
          resizeConfig={{ enabled: editable }}
          onDragStop={(l) => save(l)}
          onResizeStop={(l) => save(l)}
        >
          {dashboard.widgets.map((w) => (
            <div key={w.id} data-testid={`grid-item-${w.id}`}>
              <WidgetCard dashboard={dashboard.id} widget={w} params={params} editable={editable}
                onEdit={() => onEdit(w)} onRemove={() => onRemove(w)} />
            </div>
          ))}
        </ReactGridLayout>
      )}
    </div>
  );
}
