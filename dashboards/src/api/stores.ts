// Stores and organisations the caller can see (for the store picker and role checks).
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { Organisation, Store } from "./types";

export function useStores(enabled = true) {
  return useQuery({
    queryKey: keys.stores,
    enabled,
    queryFn: async (): Promise<Store[]> =>
      unwrap(await api.GET("/api/v1/stores", { params: { query: { limit: 1000 } } })).items,
    staleTime: 60_000,
  });
}

export function useOrganisations(enabled = true) {
  return useQuery({
    queryKey: keys.organisations,
    enabled,
    queryFn: async (): Promise<Organisation[]> =>
      unwrap(await api.GET("/api/v1/organisations", { params: { query: { limit: 1000 } } })).items,
    staleTime: 60_000,
  });
}
