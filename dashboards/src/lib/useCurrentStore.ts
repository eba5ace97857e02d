// The store the user works in: `?store=` in the URL, else the last one chosen (localStorage),
// else the first visible store. Also answers the caller's role on it.
import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import { useMe } from "../api/session";
import { useOrganisations, useStores } from "../api/stores";
import type { Role, Store } from "../api/types";
import { roleOnOrganisation } from "./roles";

const KEY = "cairn.store";

export function rememberStore(id: string) {
  try {
    localStorage.setItem(KEY, id);
  } catch {
    /* storage may be unavailable (private mode): the URL still carries the store */
  }
}

function remembered(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function useCurrentStore(): {
  stores: Store[] | undefined;
  store: Store | null;
  role: Role | null;
  isPending: boolean;
  choose: (id: string) => void;
} {
  const me = useMe();
  const stores = useStores(!!me.data);
  const orgs = useOrganisations(!!me.data);
  const [params, setParams] = useSearchParams();
  const wanted = params.get("store") ?? remembered();
  const store = useMemo(() => {
    const list = stores.data ?? [];
    return list.find((s) => s.id === wanted) ?? list[0] ?? null;
  }, [stores.data, wanted]);
  const role = store && me.data ? roleOnOrganisation(me.data, orgs.data ?? [], store.organisation) : null;
  const choose = useCallback(
    (id: string) => {
      rememberStore(id);
      setParams((p) => {
        p.set("store", id);
        return p;
      });
    },
    [setParams],
  );
  return { stores: stores.data, store, role, isPending: stores.isPending || orgs.isPending, choose };
}
