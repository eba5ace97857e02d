// Statement forwarders of a store (docs/forwarding.md): the list with each one's delivery
// status, one forwarder, its dead letters, and the changes a store admin makes. Typed by the
// generated OpenAPI schema; the status is polled while a screen shows it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { components } from "./schema";

type S = components["schemas"];
export type Forwarder = S["ForwarderDto"];
export type DeadLetter = S["DeadLetterDto"];
export type CreateForwarder = S["CreateForwarder"];
export type UpdateForwarder = S["UpdateForwarder"];
export type TargetBody = S["TargetBody"];

/** How often a shown status is read again. */
export const STATUS_POLL_MS = 2000;

export const forwarderKeys = {
  /** Everything about a store's forwarders (prefix of the keys below). */
  all: (store: string) => ["forwarders", store] as const,
  list: (store: string) => ["forwarders", store, "list"] as const,
  one: (store: string, id: string) => ["forwarders", store, "one", id] as const,
  dead: (store: string, id: string) => ["forwarders", store, "dead", id] as const,
};

export function useForwarders(store: string, enabled = true) {
  return useQuery({
    queryKey: forwarderKeys.list(store),
    enabled,
    refetchInterval: STATUS_POLL_MS,
    queryFn: async (): Promise<Forwarder[]> =>
      unwrap(await api.GET("/api/v1/stores/{id}/forwarders", { params: { path: { id: store } } })).items,
  });
}

export function useForwarder(store: string, id: string) {
  return useQuery({
    queryKey: forwarderKeys.one(store, id),
    refetchInterval: STATUS_POLL_MS,
    queryFn: async (): Promise<Forwarder> =>
      unwrap(await api.GET("/api/v1/stores/{id}/forwarders/{forwarder}", { params: { path: { id: store, forwarder: id } } })),
  });
}

export function useDeadLetters(store: string, id: string) {
  return useQuery({
    queryKey: forwarderKeys.dead(store, id),
    refetchInterval: STATUS_POLL_MS,
    queryFn: async (): Promise<DeadLetter[]> =>
      unwrap(
        await api.GET("/api/v1/stores/{id}/forwarders/{forwarder}/dead-letters", {
          params: { path: { id: store, forwarder: id } },
        }),
      ).items,
  });
}

export function useForwarderMutations(store: string) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: forwarderKeys.all(store) });
  const path = (forwarder: string) => ({ params: { path: { id: store, forwarder } } });
  return {
    create: useMutation({
      mutationFn: async (body: CreateForwarder) =>
        unwrap(await api.POST("/api/v1/stores/{id}/forwarders", { params: { path: { id: store } }, body })),
      onSuccess: done,
    }),
    update: useMutation({
      mutationFn: async ({ id, body }: { id: string; body: UpdateForwarder }) =>
        unwrap(await api.PATCH("/api/v1/stores/{id}/forwarders/{forwarder}", { ...path(id), body })),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: async (id: string) => unwrap(await api.DELETE("/api/v1/stores/{id}/forwarders/{forwarder}", path(id))),
      onSuccess: done,
    }),
    replay: useMutation({
      mutationFn: async ({ id, from }: { id: string; from: { from_seq: number } | { from_time: string } }) =>
        unwrap(await api.POST("/api/v1/stores/{id}/forwarders/{forwarder}/replay", { ...path(id), body: from })),
      onSuccess: done,
    }),
    retry: useMutation({
      mutationFn: async ({ id, dead }: { id: string; dead: string }) =>
        unwrap(
          await api.POST("/api/v1/stores/{id}/forwarders/{forwarder}/dead-letters/{dead_letter}/retry", {
            params: { path: { id: store, forwarder: id, dead_letter: dead } },
          }),
        ),
      onSuccess: done,
    }),
    discard: useMutation({
      mutationFn: async ({ id, dead }: { id: string; dead: string }) =>
        unwrap(
          await api.DELETE("/api/v1/stores/{id}/forwarders/{forwarder}/dead-letters/{dead_letter}", {
            params: { path: { id: store, forwarder: id, dead_letter: dead } },
          }),
        ),
      onSuccess: done,
    }),
  };
}
