// Dashboards and widgets: queries and mutations over /api/v1 (server state in TanStack Query).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { request } from "./client";
import { keys } from "./keys";
import type {
  Dashboard,
  DashboardSummary,
  DashboardTemplate,
  Filter,
  LayoutItem,
  Page,
  TimeRange,
  Widget,
} from "./types";

const enc = encodeURIComponent;

export function useDashboards(store: string | undefined) {
  return useQuery({
    queryKey: keys.dashboards(store ?? ""),
    enabled: !!store,
    queryFn: async () =>
      (await request<Page<DashboardSummary>>("GET", `/api/v1/stores/${enc(store ?? "")}/dashboards?limit=1000`)).items,
  });
}

export function useDashboard(id: string | undefined) {
  return useQuery({
    queryKey: keys.dashboard(id ?? ""),
    enabled: !!id,
    queryFn: () => request<Dashboard>("GET", `/api/v1/dashboards/${enc(id ?? "")}`),
  });
}

export function useTemplates() {
  return useQuery({
    queryKey: keys.templates,
    queryFn: async () => (await request<Page<DashboardTemplate>>("GET", "/api/v1/dashboard-templates")).items,
    staleTime: Infinity,
  });
}

export type DashboardPatch = {
  name?: string;
  description?: string;
  time_range?: TimeRange;
  tz?: string;
  filter?: Filter | null;
  refresh_seconds?: number | null;
};

/** Create, create from a template, rename, duplicate and delete; each refreshes the list. */
export function useDashboardMutations(store: string | undefined) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.dashboards(store ?? "") });
  const s = enc(store ?? "");
  return {
    create: useMutation({
      mutationFn: (body: { name: string; description?: string }) =>
        request<Dashboard>("POST", `/api/v1/stores/${s}/dashboards`, body),
      onSuccess: done,
    }),
    fromTemplate: useMutation({
      mutationFn: (body: { template: string; name?: string }) =>
        request<Dashboard>("POST", `/api/v1/stores/${s}/dashboards/from-template`, body),
      onSuccess: done,
    }),
    rename: useMutation({
      mutationFn: ({ id, name }: { id: string; name: string }) =>
        request<Dashboard>("PATCH", `/api/v1/dashboards/${enc(id)}`, { name }),
      onSuccess: done,
    }),
    duplicate: useMutation({
      mutationFn: ({ id, name }: { id: string; name?: string }) =>
        request<Dashboard>("POST", `/api/v1/dashboards/${enc(id)}/duplicate`, name ? { name } : {}),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: (id: string) => request<void>("DELETE", `/api/v1/dashboards/${enc(id)}`),
      onSuccess: done,
    }),
  };
}

/** Changes to one open dashboard; the cached dashboard is replaced by the server's answer. */
export function useDashboardEdits(id: string) {
  const qc = useQueryClient();
  const put = (d: Dashboard) => {
    const prev = qc.getQueryData<Dashboard>(keys.dashboard(id));
    // PATCH/PUT answers may leave out widgets: keep the ones we have.
    qc.setQueryData(keys.dashboard(id), { ...prev, ...d, widgets: d.widgets ?? prev?.widgets ?? [] });
  };
  return {
    patch: useMutation({
      mutationFn: (body: DashboardPatch) => request<Dashboard>("PATCH", `/api/v1/dashboards/${enc(id)}`, body),
      onSuccess: put,
    }),
    layout: useMutation({
      mutationFn: (items: LayoutItem[]) =>
        request<Dashboard>("PUT", `/api/v1/dashboards/${enc(id)}/layout`, { items }),
      onSuccess: put,
    }),
    removeWidget: useMutation({
      mutationFn: (widget: string) =>
        request<void>("DELETE", `/api/v1/dashboards/${enc(id)}/widgets/${enc(widget)}`),
      onSuccess: () => qc.invalidateQueries({ queryKey: keys.dashboard(id) }),
    }),
  };
}

export type { Widget };
