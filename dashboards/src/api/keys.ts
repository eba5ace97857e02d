// TanStack Query keys: one place, so invalidation (live mode, mutations) hits the right queries.
export const keys = {
  me: ["me"] as const,
  stores: ["stores"] as const,
  organisations: ["organisations"] as const,
  dashboards: (store: string) => ["dashboards", store] as const,
  dashboard: (id: string) => ["dashboard", id] as const,
  templates: ["dashboard-templates"] as const,
  links: (dashboard: string) => ["links", dashboard] as const,
  /** Every widget's data of a dashboard (prefix of widgetData). */
  dashboardData: (dashboard: string) => ["widget-data", dashboard] as const,
  widgetData: (dashboard: string, widget: string, params: unknown) =>
    ["widget-data", dashboard, widget, params] as const,
  shared: (link: string, auth: unknown) => ["shared", link, auth] as const,
  sharedData: (link: string) => ["shared-data", link] as const,
  values: (store: string, path: string, prefix: string) => ["values", store, path, prefix] as const,
  savedFilters: (store: string) => ["saved-filters", store] as const,
  /** Every statement read of a store (count and pages; prefix of the two below). */
  statements: (store: string) => ["statements", store] as const,
  statementCount: (store: string, filter: unknown) => ["statements", store, "count", filter] as const,
  statementPage: (store: string, params: unknown) => ["statements", store, "page", params] as const,
  /** Every persona read of a store (lists and single personas; prefix of the two below). */
  personas: (store: string) => ["personas", store] as const,
  personaList: (store: string, params: unknown) => ["personas", store, "list", params] as const,
  persona: (store: string, id: string) => ["personas", store, "one", id] as const,
};
