// The public share API: reads only through a link (no session), with the URL's filter or token.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { request, userLang } from "./client";
import { keys } from "./keys";
import type { SharedDashboard, WidgetData } from "./types";

/** What the page URL carries for the link: a plain filter (JSON text) or a signed token. */
export type LinkAuth = { filter?: string; token?: string };

function query(auth: LinkAuth): string {
  const q = new URLSearchParams();
  if (auth.filter) q.set("filter", auth.filter);
  if (auth.token) q.set("token", auth.token);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function useSharedDashboard(link: string, auth: LinkAuth) {
  return useQuery({
    queryKey: keys.shared(link, auth),
    queryFn: () => request<SharedDashboard>("GET", `/api/v1/shared/${encodeURIComponent(link)}${query(auth)}`),
    retry: false,
  });
}

export function useSharedWidgetData(link: string, widget: string, auth: LinkAuth) {
  return useQuery({
    queryKey: [...keys.sharedData(link), widget, auth],
    queryFn: () => {
      const body: Record<string, unknown> = { lang: userLang() };
      if (auth.token) body.token = auth.token;
      if (auth.filter) body.filter = JSON.parse(auth.filter) as unknown;
      return request<WidgetData>(
        "POST",
        `/api/v1/shared/${encodeURIComponent(link)}/widgets/${encodeURIComponent(widget)}/data`,
        body,
      );
    },
    placeholderData: keepPreviousData,
    retry: false,
  });
}
