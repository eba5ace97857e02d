// Names of IRIs (verb displays, activity names) for showing values, not IRIs. A server without
// the names route answers 404: then the IRIs are shown as they are.
import { useQuery } from "@tanstack/react-query";
import { request, userLang } from "./client";

export function useNames(store: string, ids: string[]) {
  const wanted = [...new Set(ids.filter((i) => /^[a-z][a-z0-9+.-]*:/i.test(i)))].sort();
  return useQuery({
    queryKey: ["names", store, wanted],
    enabled: !!store && wanted.length > 0,
    staleTime: 5 * 60_000,
    queryFn: async (): Promise<Record<string, string>> => {
      const q = new URLSearchParams();
      for (const id of wanted) q.append("id", id);
      const lang = userLang();
      if (lang) q.set("lang", lang);
      try {
        const r = await request<{ items: { id: string; name: string }[] }>(
          "GET",
          `/api/v1/stores/${encodeURIComponent(store)}/names?${q}`,
        );
        return Object.fromEntries(r.items.filter((i) => i.name).map((i) => [i.id, i.name]));
      } catch {
        return {};
      }
    },
  });
}
