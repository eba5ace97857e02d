/**
 * The visualisation editor (a dialog over the dashboard): the type, title and the query controls
 * the type needs on the left, a live preview on the right, saved as a new widget or over the one
 * edited.
 */
import { useState } from 'react';
import type { Widget } from '../../api/types';
import { Modal } from '../../components/Modal';
import { Loading, ErrorBox } from '../../components/Status';
import { defaultState, fromWidget, problems, switchType, toSpec, type EditorState } from './editorState';
import { useEditedDashboard, useSaveWidget } from './api';
import { TypePicker } from './TypePicker';
import { TitleFields } from './TitleFields';
import { DimensionControls } from './DimensionControls';
import { MeasureControls } from './MeasureControls';
import { BucketControls } from './BucketControls';
import { FunnelControls } from './FunnelControls';
import { TableControls } from './TableControls';
import { FilterControl } from './FilterControl';
import { AppearanceControls } from './AppearanceControls';
import { Preview } from './Preview';
import css from './editor.module.css';

export interface WidgetEditorProps {
  storeId: string;
  dashboardId: string;
  widget?: Widget;
  onClose: () => void;
}

export function WidgetEditor({ storeId, dashboardId, widget, onClose }: WidgetEditorProps) {
  const [s, set] = useState<EditorState>(() => (widget ? fromWidget(widget) : defaultState('bar')));
  const dashboard = useEditedDashboard(dashboardId);
  const save = useSaveWidget(dashboardId);
  const spec = toSpec(s);
  const issues = problems(s);
  // The preview needs no title: draw as soon as the query is complete.
  const queryIssues = problems({ ...s, title: s.title || 'untitled' });
  const submit = () => {
    if (issues.length > 0) return;
    save.mutate({ id: widget?.id ?? null, spec }, { onSuccess: onClose });
  };
  return (
    <Modal
      title={widget ? `Edit “${widget.title}”` : 'New widget'}
      wide
      onClose={onClose}
      footer={
        <>
          {save.error && <p className="error" role="alert">{save.error.message}</p>}
          <div className="spacer" />
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
          <button type="button" className="btn primary" disabled={issues.length > 0 || save.isPending} onClick={submit}>
            {widget ? 'Save widget' : 'Add widget'}
          </button>
        </>
      }
    >
      {dashboard.isPending ? (
        <Loading />
      ) : dashboard.error ? (
        <ErrorBox error={dashboard.error} />
      ) : (
        <div className={css.layout}>
          <div className={css.controls}>
            <TypePicker value={s.type} onChange={(t) => set(switchType(s, t))} />
            <TitleFields s={s} set={set} />
            <DimensionControls s={s} set={set} />
            <BucketControls s={s} set={set} />
            <MeasureControls s={s} set={set} />
            <FunnelControls s={s} set={set} store={storeId} />
            <TableControls s={s} set={set} />
            <FilterControl store={storeId} filter={s.filter} onChange={(filter) => set({ ...s, filter })} />
            <AppearanceControls s={s} set={set} />
            {issues.length > 0 && (
              <ul className={css.problems} data-testid="editor-problems">
                {issues.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
          </div>
          <Preview
            store={storeId}
            spec={spec}
            ready={queryIssues.length === 0}
            ctx={{ time_range: dashboard.data.time_range, tz: dashboard.data.tz, filter: dashboard.data.filter ?? null }}
          />
        </div>
      )}
    </Modal>
  );
}
