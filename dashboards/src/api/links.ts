// Share links of a dashboard: list, create (answers the signed secret once), change, revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { request } from "./client";
import { keys } from "./keys";
import type { CreatedShareLink, Page, ShareLink, UrlFilterMode, Visibility } from "./types";

const enc = encodeURIComponent;

export type NewLink = {
  name?: string;
  visibility: Visibility;
  domains?: string[];
  expires_at?: string | null;
  url_filter: UrlFilterMode;
};

export function useLinks(dashboard: string) {
  return useQuery({
    queryKey: keys.links(dashboard),
    queryFn: async () => (await request<Page<ShareLink>>("GET", `/api/v1/dashboards/${enc(dashboard)}/links`)).items,
  });
}

export function useLinkMutations(dashboard: string) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.links(dashboard) });
  const base = `/api/v1/dashboards/${enc(dashboard)}/links`;
  return {
    create: useMutation({
      mutationFn: (body: NewLink) => request<CreatedShareLink>("POST", base, body),
      onSuccess: done,
    }),
    revoke: useMutation({
      mutationFn: (link: string) => request<void>("DELETE", `${base}/${enc(link)}`),
      onSuccess: done,
    }),
  };
}
