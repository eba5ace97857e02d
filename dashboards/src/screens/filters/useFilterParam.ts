// The current filter of the query builder, explorer and exports: `?filter=<JSON>` in the URL.
import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import type { Filter } from "../../api/types";
import { parseFilterParam } from "../../lib/filterParam";

export function useFilterParam(): [Filter | null, (f: Filter | null) => void] {
  const [params, setParams] = useSearchParams();
  const raw = params.get("filter");
  const filter = useMemo(() => parseFilterParam(raw), [raw]);
  const set = useCallback(
    (f: Filter | null) =>
      setParams(
        (p) => {
          if (f) p.set("filter", JSON.stringify(f));
          else p.delete("filter");
          return p;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [filter, set];
}
