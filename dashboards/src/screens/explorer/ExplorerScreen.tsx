// The statement explorer: the statements matching the filter, the most recently stored first
// (the store's own order: `timestamp` is what the statement claims), a page at a time,
// with chosen columns (names, not IRIs); a row expands to the whole statement; actors, verbs
// and activities link to a filter on them.
import { useState } from "react";
import { Link } from "react-router";
import { useNames } from "../../api/names";
import { useStatementCount, useStatementPage } from "../../api/statements";
import { NoStatements } from "../../components/NoStatements";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { withFilter } from "../../lib/filterParam";
import { useCurrentStore } from "../../lib/useCurrentStore";
import { FilterHeader } from "../filters/FilterHeader";
import { useFilterParam } from "../filters/useFilterParam";
import { ColumnPicker } from "./ColumnPicker";
import { COLUMNS, DEFAULT_COLUMNS, iris } from "./columns";
import { StatementRow } from "./StatementRow";

const PAGE = 25;
const KEY = "cairn.explorer.columns";

function storedColumns(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? "null") as unknown;
    if (Array.isArray(v) && v.every((f) => COLUMNS.some((c) => c.field === f)) && v.length) return v as string[];
  } catch {
    /* unreadable: the default columns */
  }
  return DEFAULT_COLUMNS;
}

export function ExplorerScreen() {
  const { store, isPending } = useCurrentStore();
  const [filter, setFilter] = useFilterParam();
  const [fields, setFields] = useState<string[]>(storedColumns);
  // Pages and open rows belong to one filter of one store: another filter starts afresh.
  const view = `${store?.id ?? ""} ${JSON.stringify(filter)}`;
  const [paging, setPaging] = useState<{ view: string; cursors: (string | null)[]; open: Set<number> }>(
    { view, cursors: [null], open: new Set() },
  );
  const current = paging.view === view ? paging : { view, cursors: [null], open: new Set<number>() };
  const { cursors, open } = current;
  const setCursors = (f: (c: (string | null)[]) => (string | null)[]) =>
    setPaging({ ...current, cursors: f(cursors), open: new Set() });
  const setOpen = (f: (o: Set<number>) => Set<number>) => setPaging({ ...current, open: f(open) });
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useStatementPage(store?.id ?? "", { filter, fields, tz, cursor, limit: PAGE });
  const total = useStatementCount(store?.id ?? "", null, !!store);
  const matching = useStatementCount(store?.id ?? "", filter, !!store);
  const items = page.data?.items ?? [];
  const names = useNames(store?.id ?? "", iris(items, fields)).data ?? {};
  const chooseFields = (f: string[]) => {
    setFields(f);
    try {
      localStorage.setItem(KEY, JSON.stringify(f));
    } catch {
      /* not remembered */
    }
  };

  if (isPending) return <Loading />;
  if (!store) return <EmptyState title="Choose a store">The explorer reads the statements of one store.</EmptyState>;
  if (total.data === 0) return <div><h1>Statement explorer</h1><NoStatements /></div>;
  const next = page.data?.next_cursor ?? null;
  return (
    <div className="explorer">
      <div className="page-head">
        <h1>Statement explorer</h1>
        <span className="muted">{store.name}</span>
        <div className="spacer" />
        {matching.data !== undefined && (
          <span data-testid="explorer-count">{matching.data.toLocaleString()} matching, most recently stored first</span>
        )}
        <ColumnPicker chosen={fields} onChange={chooseFields} />
        <Link className="btn" to={withFilter("/exports", store.id, filter)}>Export…</Link>
      </div>
      <FilterHeader store={store.id} filter={filter} onChange={setFilter} />
      {page.error && <ErrorBox error={page.error} title="The statements could not be read" />}
      {page.isPending && <Loading />}
      {page.data && items.length === 0 && (
        <EmptyState title="No statement matches this filter"
          action={<Link className="btn primary" to={withFilter("/query", store.id, filter)}>Loosen it in the query builder</Link>}>
          Remove a condition, or clear the filter to see every statement of the store.
        </EmptyState>
      )}
      {items.length > 0 && (
        <div className="table-wrap card">
          <table className="statements" aria-label="Statements, most recently stored first">
            <thead>
              <tr>
                <th scope="col"><span className="visually-hidden">Details</span></th>
                {fields.map((f) => <th key={f} scope="col">{COLUMNS.find((c) => c.field === f)?.label ?? f}</th>)}
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <StatementRow key={item.seq} store={store.id} item={item} fields={fields} names={names}
                  open={open.has(item.seq)}
                  onToggle={() => setOpen((s) => {
                    const n = new Set(s);
                    if (n.has(item.seq)) n.delete(item.seq);
                    else n.add(item.seq);
                    return n;
                  })} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="row pager" aria-label="Pages">
        <button className="btn" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>← Newer</button>
        <span className="muted">Page {cursors.length}</span>
        <button className="btn" disabled={!next || page.isFetching} onClick={() => next && setCursors((c) => [...c, next])}>Older →</button>
      </nav>
    </div>
  );
}
