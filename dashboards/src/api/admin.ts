// Administration: organisations, stores and clients (queries and mutations over /api/v1, typed
// by the generated OpenAPI schema). Each mutation refreshes the lists it changes.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { components } from "./schema";

type S = components["schemas"];
export type Client = S["ClientDto"];
export type ClientWithSecret = S["ClientWithSecret"];
export type Member = S["MemberDto"];

export const adminKeys = {
  clients: (store: string) => ["admin", "clients", store] as const,
  members: (org: string) => ["admin", "members", org] as const,
  users: ["admin", "users"] as const,
  tokens: ["admin", "tokens"] as const,
  sessions: (user: string) => ["admin", "sessions", user] as const,
};

/** The xAPI scopes a client may hold (docs/api.md), in the order the form lists them. */
export const SCOPES = [
  "statements/write",
  "statements/read",
  "statements/read/mine",
  "state",
  "define",
  "profile",
  "all/read",
  "all",
] as const;

/** The scopes a new client gets unless others are chosen (the server's default). */
export const DEFAULT_SCOPES = ["statements/write", "statements/read/mine", "state", "profile"];

export function useOrganisationMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.organisations });
  return {
    create: useMutation({
      mutationFn: async (body: { name: string; parent?: string | null }) =>
        unwrap(await api.POST("/api/v1/organisations", { body })),
      onSuccess: done,
    }),
    rename: useMutation({
      mutationFn: async ({ id, name }: { id: string; name: string }) =>
        unwrap(await api.PATCH("/api/v1/organisations/{id}", { params: { path: { id } }, body: { name } })),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: async (id: string) =>
        unwrap(await api.DELETE("/api/v1/organisations/{id}", { params: { path: { id } } })),
      onSuccess: done,
    }),
  };
}

export function useStoreMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.stores });
  return {
    create: useMutation({
      mutationFn: async (body: { organisation: string; name: string }) =>
        unwrap(await api.POST("/api/v1/stores", { body })),
      onSuccess: done,
    }),
    rename: useMutation({
      mutationFn: async ({ id, name }: { id: string; name: string }) =>
        unwrap(await api.PATCH("/api/v1/stores/{id}", { params: { path: { id } }, body: { name } })),
      onSuccess: done,
    }),
    retention: useMutation({
      mutationFn: async ({ id, months }: { id: string; months: number | null }) =>
        unwrap(await api.PATCH("/api/v1/stores/{id}", { params: { path: { id } }, body: { retention_months: months } })),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: async (id: string) =>
        unwrap(await api.DELETE("/api/v1/stores/{id}", { params: { path: { id } } })),
      onSuccess: done,
    }),
  };
}

export function useClients(store: string, enabled = true) {
  return useQuery({
    queryKey: adminKeys.clients(store),
    enabled,
    queryFn: async (): Promise<Client[]> =>
      unwrap(await api.GET("/api/v1/clients", { params: { query: { store, limit: 1000 } } })).items,
  });
}

export function useClientMutations(store: string) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: adminKeys.clients(store) });
  return {
    create: useMutation({
      mutationFn: async (body: { name: string; scopes: string[] }) =>
        unwrap(await api.POST("/api/v1/clients", { body: { store, ...body } })),
      onSuccess: done,
    }),
    update: useMutation({
      mutationFn: async ({ id, ...body }: { id: string; name?: string; scopes?: string[]; disabled?: boolean }) =>
        unwrap(await api.PATCH("/api/v1/clients/{id}", { params: { path: { id } }, body })),
      onSuccess: done,
    }),
    rotate: useMutation({
      mutationFn: async (id: string) =>
        unwrap(await api.POST("/api/v1/clients/{id}/rotate", { params: { path: { id } } })),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: async (id: string) =>
        unwrap(await api.DELETE("/api/v1/clients/{id}", { params: { path: { id } } })),
      onSuccess: done,
    }),
  };
}

export function useMembers(org: string) {
  return useQuery({
    queryKey: adminKeys.members(org),
    queryFn: async (): Promise<Member[]> =>
      unwrap(
        await api.GET("/api/v1/organisations/{id}/members", {
          params: { path: { id: org }, query: { limit: 1000 } },
        }),
      ).items,
  });
}

export function useMemberMutations(org: string) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: adminKeys.members(org) });
  return {
    add: useMutation({
      mutationFn: async (body: { email: string; role: string }) =>
        unwrap(await api.POST("/api/v1/organisations/{id}/members", { params: { path: { id: org } }, body })),
      onSuccess: done,
    }),
    setRole: useMutation({
      mutationFn: async ({ user, role }: { user: string; role: string }) =>
        unwrap(
          await api.PUT("/api/v1/organisations/{id}/members/{user}", {
            params: { path: { id: org, user } },
            body: { role },
          }),
        ),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: async (user: string) =>
        unwrap(
          await api.DELETE("/api/v1/organisations/{id}/members/{user}", { params: { path: { id: org, user } } }),
        ),
      onSuccess: done,
    }),
  };
}
