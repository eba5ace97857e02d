// Types of the admin API: aliases of the OpenAPI schemas (schema.d.ts, from `npm run gen:api`
// on `cairn openapi`'s document). Widget queries, filters and widget data are free JSON in the
// document; their shapes (docs/api.md) are typed here for the charts and the editor.
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


export type TimePreset = Schemas["PresetDto"];
export type TimeRange = Schemas["TimeRangeDto"];

export type LayoutItem = Schemas["LayoutItemDto"];

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

export type DashboardSummary = Schemas["DashboardSummary"];

export type Dashboard = Omit<Schemas["DashboardDto"], "widgets" | "filter"> & {
  filter?: Filter | null;
  widgets: Widget[];
};

export type Page<T> = { items: T[]; next_cursor?: string | null };

export type DashboardTemplate = Schemas["TemplateDto"];

type GeneratedData = Schemas["WidgetData"];
/** A widget's data, as the server's schema gives it (statement items are free objects). */
export type WidgetData =
  | Extract<GeneratedData, { kind: "aggregate" }>
  | Extract<GeneratedData, { kind: "funnel" }>
  | (Omit<Extract<GeneratedData, { kind: "statements" }>, "items"> & {
      items: Record<string, unknown>[];
    });

export type Visibility = Schemas["VisibilityDto"];
export type UrlFilterMode = Schemas["UrlFilterDto"];
export type ShareLink = Schemas["ShareLinkDto"];
export type CreatedShareLink = Schemas["CreatedLink"];

export type SharedDashboard = {
  dashboard: Schemas["SharedDashboardInfo"];
  widgets: Omit<Widget, "dashboard">[];
};

export type Persona = Schemas["PersonaDto"];
export type PersonaPage = Schemas["PersonaPage"];
export type SplitAnswer = Schemas["SplitAnswer"];

export type SavedFilter = Omit<Schemas["SavedFilterDto"], "filter"> & { filter: Filter };
