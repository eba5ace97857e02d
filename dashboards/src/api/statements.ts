// Statement reads for the query builder, the explorer and exports: how many match a filter
// (an aggregate count), and a page of matching statements, newest first, with chosen fields
// and times in the reader's zone.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { request } from "./client";
import { keys } from "./keys";
import type { Filter } from "./types";

export function useStatementCount(store: string, filter: Filter | null, enabled = true) {
  return useQuery({
    queryKey: keys.statementCount(store, filter),
    enabled: enabled && !!store,
    queryFn: async (): Promise<number> => {
      const body: Record<string, unknown> = { group_by: [], measures: ["count"] };
      if (filter) body.filter = filter;
      const a = await request<{ rows: { values: (number | null)[] }[] }>(
        "POST",
        `/api/v1/stores/${encodeURIComponent(store)}/aggregate`,
        body,
      );
      return a.rows[0]?.values[0] ?? 0;
    },
    placeholderData: keepPreviousData,
  });
}

export type StatementItem = Record<string, unknown> & { seq: number; statement?: Record<string, unknown> };
export type StatementPage = { items: StatementItem[]; next_cursor?: string | null };

export type PageParams = { filter: Filter | null; fields: string[]; tz: string; cursor: string | null; limit: number };

export function useStatementPage(store: string, p: PageParams) {
  return useQuery({
    queryKey: keys.statementPage(store, p),
    enabled: !!store,
    queryFn: () => {
      const q = new URLSearchParams({ limit: String(p.limit) });
      if (p.cursor) q.set("cursor", p.cursor);
      const body: Record<string, unknown> = {
        fields: ["seq", ...p.fields.filter((f) => f !== "seq"), "statement"],
        order: "desc",
        tz: p.tz,
      };
      if (p.filter) body.filter = p.filter;
      return request<StatementPage>("POST", `/api/v1/stores/${encodeURIComponent(store)}/statements/query?${q}`, body);
    },
    placeholderData: keepPreviousData,
  });
}
