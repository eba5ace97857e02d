// Users (site administrators), the caller's personal tokens, and a user's open sessions.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { adminKeys } from "./admin";
import { keys } from "./keys";
import type { components } from "./schema";

type S = components["schemas"];
export type Token = S["TokenDto"];
export type Session = S["SessionDto"];
export type UserItem = S["UserDto"];

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: adminKeys.users,
    enabled,
    queryFn: async (): Promise<UserItem[]> =>
      unwrap(await api.GET("/api/v1/users", { params: { query: { limit: 1000 } } })).items,
  });
}

export type NewUser = { email: string; name?: string; password: string; site_admin: boolean };
/** A role to give the new user right away. */
export type FirstRole = { organisation: string; role: string };
export type UserPatch = { site_admin?: boolean; disabled?: boolean; name?: string; password?: string };

export function useUserMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: adminKeys.users });
  return {
    create: useMutation({
      mutationFn: async ({ user, role }: { user: NewUser; role: FirstRole | null }) => {
        const u = unwrap(await api.POST("/api/v1/users", { body: user }));
        if (role) {
          unwrap(
            await api.PUT("/api/v1/organisations/{id}/members/{user}", {
              params: { path: { id: role.organisation, user: u.id } },
              body: { role: role.role },
            }),
          );
        }
        return u;
      },
      onSuccess: () => {
        void done();
        void qc.invalidateQueries({ queryKey: ["admin", "members"] });
      },
    }),
    update: useMutation({
      mutationFn: async ({ id, ...body }: UserPatch & { id: string }) =>
        unwrap(await api.PATCH("/api/v1/users/{id}", { params: { path: { id } }, body })),
      onSuccess: () => {
        void done();
        void qc.invalidateQueries({ queryKey: keys.me });
      },
    }),
    remove: useMutation({
      mutationFn: async (id: string) => unwrap(await api.DELETE("/api/v1/users/{id}", { params: { path: { id } } })),
      onSuccess: done,
    }),
  };
}

export function useTokens() {
  return useQuery({
    queryKey: adminKeys.tokens,
    queryFn: async (): Promise<Token[]> => unwrap(await api.GET("/api/v1/me/tokens")).items,
  });
}

export function useTokenMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: adminKeys.tokens });
  return {
    create: useMutation({
      mutationFn: async (name: string) => unwrap(await api.POST("/api/v1/me/tokens", { body: { name } })),
      onSuccess: done,
    }),
    revoke: useMutation({
      mutationFn: async (id: string) =>
        unwrap(await api.DELETE("/api/v1/me/tokens/{id}", { params: { path: { id } } })),
      onSuccess: done,
    }),
  };
}

export function useSessions(user: string) {
  return useQuery({
    queryKey: adminKeys.sessions(user),
    queryFn: async (): Promise<Session[]> =>
      unwrap(
        await api.GET("/api/v1/users/{id}/sessions", { params: { path: { id: user }, query: { limit: 1000 } } }),
      ).items,
  });
}

export function useEndSession(user: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (session: string) =>
      unwrap(await api.DELETE("/api/v1/users/{id}/sessions/{session}", { params: { path: { id: user, session } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminKeys.sessions(user) }),
  });
}
