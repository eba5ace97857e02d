/** The live preview: the widget drawn from the server's answer, following every edit (debounced). */
import type { WidgetSpec } from '../../charts/types';
import { WidgetView } from '../../charts/WidgetView';
import { usePreview, type PreviewContext } from './api';
import css from './editor.module.css';

export function Preview({ store, spec, ctx, ready }: { store: string; spec: WidgetSpec; ctx: PreviewContext; ready: boolean }) {
  const preview = usePreview(store, spec, ctx, ready);
  return (
    <section className={css.preview} aria-label="Preview" data-testid="editor-preview">
      <div className={css.previewHead}>
        <h3>{spec.title || 'Untitled widget'}</h3>
        {spec.description && <p>{spec.description}</p>}
      </div>
      <div className={css.previewBody}>
        <WidgetView
          widget={spec}
          data={ready ? preview.data : undefined}
          loading={preview.isFetching}
          error={preview.error ?? undefined}
        />
      </div>
    </section>
  );
}
