// How this Cairn signs people in (GET /api/v1/auth/options), and the first run's set-up link
// (POST /api/v1/setup/check, POST /api/v1/setup: creates the site administrator and signs in).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";

const optionsKey = ["sign-in-options"] as const;

export type SignInOptions = { password: boolean; sso?: { name: string; start: string } | null };

export function useSignInOptions() {
  return useQuery({
    queryKey: optionsKey,
    queryFn: async (): Promise<SignInOptions> => unwrap(await api.GET("/api/v1/auth/options")),
    staleTime: 5 * 60_000,
  });
}

/** Whether the set-up link's token can still be used (an ApiError says why not). */
export function useSetupCheck(token: string) {
  return useQuery({
    queryKey: ["setup-check", token],
    queryFn: async () => {
      unwrap(await api.POST("/api/v1/setup/check", { body: { token } }));
      return true;
    },
    enabled: token !== "",
    retry: false,
    staleTime: Infinity,
  });
}

export function useSetup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { token: string; email: string; name: string | null; password: string }) =>
      unwrap(await api.POST("/api/v1/setup", { body })),
    onSuccess: (me) => qc.setQueryData(keys.me, me),
  });
}
