// Saved filters of a store: listed for every screen that takes a filter, saved, renamed and
// deleted from the query builder.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { Filter, SavedFilter } from "./types";

export function useSavedFilters(store: string) {
  return useQuery({
    queryKey: keys.savedFilters(store),
    enabled: !!store,
    queryFn: async (): Promise<SavedFilter[]> =>
      unwrap(
        await api.GET("/api/v1/stores/{id}/filters", { params: { path: { id: store }, query: { limit: 1000 } } }),
      ).items as SavedFilter[],
  });
}

export function useSaveFilter(store: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (v: { id?: string; name: string; filter: Filter }): Promise<SavedFilter> => {
      if (v.id) {
        return unwrap(
          await api.PATCH("/api/v1/stores/{id}/filters/{filter}", {
            params: { path: { id: store, filter: v.id } },
            body: { name: v.name, filter: v.filter as unknown as Record<string, never> },
          }),
        ) as SavedFilter;
      }
      return unwrap(
        await api.POST("/api/v1/stores/{id}/filters", {
          params: { path: { id: store } },
          body: { name: v.name, filter: v.filter as unknown as Record<string, never> },
        }),
      ) as SavedFilter;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.savedFilters(store) }),
  });
}

export function useDeleteFilter(store: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      const r = await api.DELETE("/api/v1/stores/{id}/filters/{filter}", { params: { path: { id: store, filter: id } } });
      unwrap(r);
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.savedFilters(store) }),
  });
}
