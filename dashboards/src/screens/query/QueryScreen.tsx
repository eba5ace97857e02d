// The query builder: a visual editor of the filter language (groups of conditions, nested),
// values suggested as you type, the live count of matching statements, the filter's JSON, and
// saved filters. The filter is kept in the URL, so the explorer and exports open with it.
import { useEffect, useState } from "react";
import { Link } from "react-router";
import type { Filter } from "../../api/types";
import { EmptyState, Loading } from "../../components/Status";
import { withFilter } from "../../lib/filterParam";
import { filterToTree, treeToFilter, type Group } from "../../lib/filterTree";
import { canEdit } from "../../lib/roles";
import { useCurrentStore } from "../../lib/useCurrentStore";
import { SavedFilterPicker } from "../filters/SavedFilterPicker";
import { useFilterParam } from "../filters/useFilterParam";
import { FilterJson } from "./FilterJson";
import { GroupEditor } from "./GroupEditor";
import { JsonEditor } from "./JsonEditor";
import { MatchCount } from "./MatchCount";
import { SaveFilter, type Loaded } from "./SaveFilter";

/** `v`, once it has stopped changing for `ms`. */
function useSettled<T>(v: T, ms: number): T {
  const [s, setS] = useState(v);
  useEffect(() => {
    const t = setTimeout(() => setS(v), ms);
    return () => clearTimeout(t);
  }, [v, ms]);
  return s;
}

export function QueryScreen() {
  const { store, role, isPending } = useCurrentStore();
  const [urlFilter, setUrlFilter] = useFilterParam();
  const [tree, setTree] = useState<Group | null>(() => filterToTree(urlFilter));
  const [jsonFilter, setJsonFilter] = useState<Filter | null>(urlFilter);
  const [loaded, setLoaded] = useState<Loaded>(null);
  const result = tree ? treeToFilter(tree) : { filter: jsonFilter };
  const filter = "filter" in result ? result.filter : null;
  const valid = "filter" in result;
  const key = JSON.stringify(filter);
  const settled = useSettled(key, 300);
  useEffect(() => {
    if (valid) setUrlFilter(JSON.parse(key) as Filter | null);
  }, [key, valid, setUrlFilter]);
  const load = (f: Filter | null) => {
    setJsonFilter(f);
    setTree(filterToTree(f));
  };

  if (isPending) return <Loading />;
  if (!store) return <EmptyState title="Choose a store">The query builder reads the statements of one store.</EmptyState>;
  return (
    <div className="query-screen">
      <div className="page-head">
        <h1>Query builder</h1>
        <span className="muted">{store.name}</span>
        <div className="spacer" />
        <SavedFilterPicker store={store.id} label="Open a saved filter" onPick={(f, name, id) => { load(f); setLoaded({ id, name }); }} />
      </div>
      <div className="query-layout">
        <section className="card stack" aria-labelledby="conditions-title">
          <div className="row">
            <h2 id="conditions-title">Conditions</h2>
            <div className="spacer" />
            <MatchCount store={store.id} filter={valid ? (JSON.parse(settled) as Filter | null) : null} valid={valid} />
          </div>
          {tree ? (
            <GroupEditor store={store.id} group={tree} place="" onChange={setTree} />
          ) : (
            <JsonEditor filter={jsonFilter} onApply={load} />
          )}
          {"error" in result && <p className="error" role="alert">{result.error}</p>}
          <div className="row">
            <Link className="btn primary" to={withFilter("/explorer", store.id, filter)}>Explore these statements</Link>
            <Link className="btn" to={withFilter("/exports", store.id, filter)}>Export them</Link>
            <button className="btn ghost" onClick={() => { load(null); setLoaded(null); }}>Start over</button>
          </div>
        </section>
        <div className="stack">
          <FilterJson filter={filter} />
          <SaveFilter store={store.id} filter={filter} loaded={loaded} onSaved={setLoaded} editable={canEdit(role)} />
        </div>
      </div>
    </div>
  );
}
