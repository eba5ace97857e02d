// Analytics reads: widget data for a dashboard, and value autocomplete.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { request, userLang } from "./client";
import { keys } from "./keys";
import type { Filter, ValueItem, WidgetData } from "./types";

export type DataParams = { from?: string; to?: string; tz?: string; filter?: Filter | null; cursor?: string };

/** One widget's data; keyed under the dashboard so live mode can invalidate them all at once. */
export function useWidgetData(dashboard: string, widget: string, params: DataParams) {
  return useQuery({
    queryKey: keys.widgetData(dashboard, widget, params),
    queryFn: () =>
      request<WidgetData>(
        "POST",
        `/api/v1/dashboards/${encodeURIComponent(dashboard)}/widgets/${encodeURIComponent(widget)}/data`,
        { ...params, lang: userLang() },
      ),
    placeholderData: keepPreviousData,
  });
}

/** Values seen at a path (most frequent first), for the filter editor's autocomplete. */
export function useValues(store: string, path: string, prefix: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.values(store, path, prefix),
    enabled: enabled && !!store && !!path,
    queryFn: async () => {
      const q = new URLSearchParams({ path, limit: "12" });
      if (prefix) q.set("prefix", prefix);
      return (await request<{ items: ValueItem[] }>("GET", `/api/v1/stores/${encodeURIComponent(store)}/values?${q}`)).items;
    },
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
}
