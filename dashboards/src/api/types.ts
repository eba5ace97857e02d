// Types of the admin API. Generated ones are aliases of the OpenAPI schemas (schema.d.ts, from
// `npm run gen:api`); the few the server does not describe yet are written here after the web
// app contract and are replaced by aliases when the server documents them.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Me = Schemas["MeDto"];
export type User = Schemas["UserDto"];
export type Membership = Schemas["MembershipDto"];
export type Organisation = Schemas["OrganisationDto"];
export type Store = Schemas["StoreDto"];
export type AggregateAnswer = Schemas["AggregateAnswer"];
export type AggregateGroup = Schemas["AggregateGroup"];
export type ValueItem = Schemas["ValueDto"];
export type ErrorBody = Schemas["ErrorBody"];

export type Role = "owner" | "admin" | "analyst" | "viewer";

/** A node of the filter language (docs/api.md): and/or/not or a condition on a field. */
export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | Condition;

export type Condition = {
  field: string;
  eq?: unknown;
  in?: unknown[];
  range?: { gt?: number | string; gte?: number | string; lt?: number | string; lte?: number | string };
  exists?: boolean;
  prefix?: string;
};

// ---- Provisional (dashboards, widgets, share links): replaced by generated aliases later. ----

export type TimePreset = "today" | "7d" | "30d" | "90d" | "6m" | "1y" | "2y";
export type TimeRange = { preset: TimePreset } | { from: string; to: string };

export type LayoutItem = { widget: string; x: number; y: number; w: number; h: number };

export type WidgetType =
  | "bar"
  | "column"
  | "line"
  | "pie"
  | "counter"
  | "scatter"
  | "leaderboard"
  | "table"
  | "heatmap"
  | "histogram"
  | "funnel";

export type Dimension =
  | "verb"
  | "activity"
  | "activity_type"
  | "actor"
  | "persona"
  | "registration"
  | { time: "hour" | "day" | "week" | "month" | "weekday" | "hour_of_day" }
  | { path: string }
  | { bucket: { path: string; width: number; origin?: number } };

export type Measure =
  | "count"
  | "unique_actors"
  | "unique_personas"
  | "successes"
  | "completions"
  | { sum: string }
  | { avg: string }
  | { min: string }
  | { max: string };

export type AggregateQuery = {
  kind: "aggregate";
  filter?: Filter | null;
  group_by: Dimension[];
  measures: Measure[];
  order_by?: { measure: number; dir: "asc" | "desc" } | null;
  limit?: number | null;
  compare?: "previous_period" | null;
};
export type FunnelQuery = {
  kind: "funnel";
  filter?: Filter | null;
  steps: { label: string; filter: Filter }[];
  by?: "actor" | "persona";
};
export type StatementsQuery = {
  kind: "statements";
  filter?: Filter | null;
  fields: string[];
  page_size?: number;
};
export type WidgetQuery = AggregateQuery | FunnelQuery | StatementsQuery;

export type Widget = {
  id: string;
  dashboard: string;
  title: string;
  description: string;
  type: WidgetType;
  query: WidgetQuery;
  options: Record<string, unknown>;
};

export type DashboardSummary = {
  id: string;
  store: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
};

export type Dashboard = DashboardSummary & {
  time_range: TimeRange;
  tz: string;
  filter: Filter | null;
  refresh_seconds: number | null;
  layout: LayoutItem[];
  widgets: Widget[];
};

export type Page<T> = { items: T[]; next_cursor?: string | null };

export type DashboardTemplate = { id: string; name: string; description: string };

export type WidgetData =
  | {
      kind: "aggregate";
      source: string;
      rows: { keys: string[]; values: (number | null)[]; previous?: (number | null)[] }[];
      names: Record<string, string>;
    }
  | { kind: "funnel"; steps: { label: string; count: number }[] }
  | { kind: "statements"; items: Record<string, unknown>[]; next_cursor: string | null };

export type Visibility = "nobody" | "anyone" | "domains";
export type UrlFilterMode = "off" | "plain" | "signed";

export type ShareLink = {
  id: string;
  dashboard: string;
  name: string;
  visibility: Visibility;
  domains: string[];
  expires_at: string | null;
  url_filter: UrlFilterMode;
  created_at: string;
};

export type CreatedShareLink = {
  link: ShareLink;
  secret?: string | null;
  url: string;
  embed_snippet: string;
};

export type SharedDashboard = {
  dashboard: Pick<Dashboard, "name" | "description" | "time_range" | "tz" | "layout">;
  widgets: Omit<Widget, "dashboard">[];
};
