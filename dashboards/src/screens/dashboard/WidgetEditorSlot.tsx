// Opens the visualisation editor (screens/editor/WidgetEditor, loaded on demand) for a new or
// existing widget; when it closes, the dashboard and its widgets' data are read again.
import { lazy, Suspense, type ComponentType } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { keys } from "../../api/keys";
import type { Widget } from "../../api/types";
import { Modal } from "../../components/Modal";
import { Loading } from "../../components/Status";

type EditorProps = { storeId: string; dashboardId: string; widget?: Widget; onClose: () => void };

// The editor module is found at build time; a build without it says so instead of failing.
const modules = import.meta.glob<{ WidgetEditor: ComponentType<EditorProps> }>("../editor/WidgetEditor.tsx");
const load = modules["../editor/WidgetEditor.tsx"];
const Editor = load ? lazy(async () => ({ default: (await load()).WidgetEditor })) : null;

export function WidgetEditorSlot({ storeId, dashboardId, widget, onClose }: EditorProps) {
  const qc = useQueryClient();
  const close = () => {
    void qc.invalidateQueries({ queryKey: keys.dashboard(dashboardId) });
    void qc.invalidateQueries({ queryKey: keys.dashboardData(dashboardId) });
    onClose();
  };
  if (!Editor) {
    return <Modal title="Widget editor" onClose={onClose}><p>The widget editor is not part of this build.</p></Modal>;
  }
  return (
    <Suspense fallback={<Loading />}>
      <Editor storeId={storeId} dashboardId={dashboardId} widget={widget} onClose={close} />
    </Suspense>
  );
}
