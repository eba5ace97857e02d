/**
 * The editor's server calls: the dashboard it edits, the live preview (debounced), saving the
 * widget.
 */
import { useEffect, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request, userLang } from '../../api/client';
import { keys } from '../../api/keys';
import type { Dashboard, Filter, TimeRange, Widget, WidgetData } from '../../api/types';
import type { WidgetSpec } from '../../charts/types';

const enc = encodeURIComponent;

/** How long the preview waits after the last edit before it asks the server. */
export const PREVIEW_DEBOUNCE_MS = 400;

export function useEditedDashboard(id: string) {
  return useQuery({
    queryKey: keys.dashboard(id),
    queryFn: () => request<Dashboard>('GET', `/api/v1/dashboards/${enc(id)}`),
  });
}

/** The value once it has stopped changing for `ms` (compared by its JSON). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const json = JSON.stringify(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(JSON.parse(json) as T), ms);
    return () => clearTimeout(t);
  }, [json, ms]);
  return settled;
}

export interface PreviewContext {
  time_range: TimeRange;
  tz: string;
  filter: Filter | null;
}

/** The data of the widget being edited, over the dashboard's time range, tz and filter. */
export function usePreview(store: string, spec: WidgetSpec, ctx: PreviewContext, enabled: boolean) {
  const body = useDebounced(
    {
      type: spec.type,
      query: spec.query,
      time_range: ctx.time_range,
      tz: ctx.tz,
      ...(ctx.filter ? { filter: ctx.filter } : {}),
    },
    PREVIEW_DEBOUNCE_MS,
  );
  return useQuery({
    queryKey: ['widget-preview', store, body] as const,
    enabled: enabled && store !== '',
    queryFn: () => request<WidgetData>('POST', `/api/v1/stores/${enc(store)}/widget-preview`, { ...body, lang: userLang() }),
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 10_000,
  });
}

/** Creates the widget (no id yet) or changes it; the dashboard and its data are then re-read. */
export function useSaveWidget(dashboard: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, spec }: { id: string | null; spec: WidgetSpec }) => {
      const body = {
        title: spec.title,
        description: spec.description,
        type: spec.type,
        query: spec.query,
        options: spec.options,
      };
      return id === null
        ? request<Widget>('POST', `/api/v1/dashboards/${enc(dashboard)}/widgets`, body)
        : request<Widget>('PATCH', `/api/v1/dashboards/${enc(dashboard)}/widgets/${enc(id)}`, body);
    },
    onSuccess: async () => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: keys.dashboard(dashboard) }),
        qc.invalidateQueries({ queryKey: keys.dashboardData(dashboard) }),
      ]);
    },
  });
}
