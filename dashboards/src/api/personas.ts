// Personas of a store: the searched, paged list, one persona, rename / merge / split / delete,
// and the CSV import, sent in chunks (see screens/people/csvImport.ts) so progress shows.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, errorMessage, unwrap } from "./client";
import { keys } from "./keys";
import type { components } from "./schema";
import type { Persona, PersonaPage, SplitAnswer } from "./types";

/** Identifiers are free JSON objects in the OpenAPI document. */
type Identifiers = components["schemas"]["SplitBody"]["identifiers"];

export type ListParams = { q: string; cursor: string | null; limit: number };

export function usePersonas(store: string, p: ListParams, enabled = true) {
  return useQuery({
    queryKey: keys.personaList(store, p),
    enabled: enabled && !!store,
    queryFn: async (): Promise<PersonaPage> => {
      const query: { limit: number; q?: string; cursor?: string } = { limit: p.limit };
      if (p.q.trim()) query.q = p.q.trim();
      if (p.cursor) query.cursor = p.cursor;
      return unwrap(await api.GET("/api/v1/stores/{id}/personas", { params: { path: { id: store }, query } }));
    },
    placeholderData: keepPreviousData,
  });
}

export function usePersona(store: string, id: string) {
  return useQuery({
    queryKey: keys.persona(store, id),
    enabled: !!store && !!id,
    queryFn: async (): Promise<Persona> =>
      unwrap(await api.GET("/api/v1/stores/{id}/personas/{persona}", { params: { path: { id: store, persona: id } } })),
    retry: (n, e) => !(e instanceof ApiError && e.status === 404) && n < 2,
  });
}

/** Rename, merge another persona in, split identifiers out, delete; each refreshes persona reads
 * and the store's statement reads (counts by persona change at once). */
export function usePersonaMutations(store: string) {
  const qc = useQueryClient();
  const done = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: keys.personas(store) }),
      qc.invalidateQueries({ queryKey: keys.statements(store) }),
    ]);
  const path = (persona: string) => ({ params: { path: { id: store, persona } } });
  return {
    rename: useMutation({
      mutationFn: async ({ id, name }: { id: string; name: string }): Promise<Persona> =>
        unwrap(await api.PATCH("/api/v1/stores/{id}/personas/{persona}", { ...path(id), body: { name } })),
      onSuccess: done,
    }),
    merge: useMutation({
      mutationFn: async ({ into, from }: { into: string; from: string }): Promise<Persona> =>
        unwrap(await api.POST("/api/v1/stores/{id}/personas/{persona}/merge", { ...path(into), body: { from } })),
      onSuccess: done,
    }),
    split: useMutation({
      mutationFn: async ({ from, name, identifiers }: { from: string; name: string; identifiers: Record<string, unknown>[] }): Promise<SplitAnswer> =>
        unwrap(await api.POST("/api/v1/stores/{id}/personas/{persona}/split", { ...path(from), body: { name, identifiers: identifiers as unknown as Identifiers } })),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: async (id: string): Promise<void> => {
        unwrap(await api.DELETE("/api/v1/stores/{id}/personas/{persona}", path(id)));
      },
      onSuccess: done,
    }),
  };
}

export type ImportCounts = { rows: number; created: number; updated: number; failed: number };
export type ImportReport = ImportCounts & { errors: { line: number; message: string }[]; errors_truncated: boolean };

/** Sends one chunk of CSV to the import route and answers its final report (the route answers
 * NDJSON: progress lines, then `done`, or `failed` when the CSV breaks off). */
export async function importChunk(store: string, csv: string): Promise<ImportReport> {
  const res = await fetch(`/api/v1/stores/${encodeURIComponent(store)}/personas/import`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "text/csv" },
    body: csv,
  });
  const text = await res.text();
  if (!res.ok) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    throw new ApiError(res.status, errorMessage(res.status, body));
  }
  const lines = text.split("\n").filter((l) => l.trim());
  const last = JSON.parse(lines[lines.length - 1] ?? "{}") as {
    done?: ImportReport;
    failed?: { message: string; report: ImportReport };
  };
  if (last.done) return last.done;
  if (last.failed) throw new ApiError(400, last.failed.message);
  throw new ApiError(500, "the import ended without a report");
}

/** Refreshes persona and statement reads after an import. */
export function useAfterImport(store: string) {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: keys.personas(store) });
}
