// People: the personas of the current store, searched on the server (name, identifier or
// attribute value) a page at a time; a persona opens its page; analysts import personas from
// CSV. A store without personas says how they come to exist.
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { usePersonas } from "../../api/personas";
import type { Persona } from "../../api/types";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { canEdit } from "../../lib/roles";
import { useCurrentStore } from "../../lib/useCurrentStore";
import { shortTime } from "../explorer/columns";
import { identifierSummary } from "./identifiers";
import { ImportDialog } from "./ImportDialog";
import { NoPersonas } from "./NoPersonas";

const PAGE = 25;

/** The search text, kept in the URL (`?q=`) once the reader stops typing. */
function useSearch(): [string, string, (t: string) => void] {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  useEffect(() => {
    if (text === q) return;
    const t = setTimeout(() => setParams((p) => {
      if (text) p.set("q", text);
      else p.delete("q");
      return p;
    }, { replace: true }), 250);
    return () => clearTimeout(t);
  }, [text, q, setParams]);
  return [q, text, setText];
}

export function PeopleScreen() {
  const { store, role, isPending } = useCurrentStore();
  const [q, text, setText] = useSearch();
  const [importing, setImporting] = useState(false);
  const view = `${store?.id ?? ""} ${q}`;
  const [paging, setPaging] = useState<{ view: string; cursors: (string | null)[] }>({ view, cursors: [null] });
  const cursors = paging.view === view ? paging.cursors : [null];
  const cursor = cursors[cursors.length - 1] ?? null;
  const sid = store?.id ?? "";
  const list = usePersonas(sid, { q, cursor, limit: PAGE });
  const any = usePersonas(sid, { q: "", cursor: null, limit: 1 });
  const editable = canEdit(role);

  if (isPending) return <Loading />;
  if (!store) return <EmptyState title="Choose a store">People are the personas of one store.</EmptyState>;
  const items = list.data?.items ?? [];
  const next = list.data?.next_cursor ?? null;
  const none = any.data && any.data.items.length === 0;
  return (
    <div className="people">
      <div className="page-head">
        <h1>People</h1>
        <span className="muted">{store.name}</span>
        <div className="spacer" />
        {editable && <button className="btn primary" onClick={() => setImporting(true)}>Import CSV…</button>}
      </div>
      {none ? (
        <NoPersonas store={store.id} editable={editable} onImport={() => setImporting(true)} />
      ) : (
        <>
          <div className="card search-bar">
            <label>
              Search people
              <input type="search" value={text} onChange={(e) => setText(e.target.value)}
                placeholder="Name, email address, account name or attribute value" />
            </label>
          </div>
          {list.error && <ErrorBox error={list.error} title="The personas could not be read" />}
          {list.isPending && <Loading />}
          {list.data && items.length === 0 && (
            <EmptyState title={`No persona matches “${q}”`}>
              Search finds part of a name, of an identifier (an email address, an account name or its
              home page) or of an attribute value. Try fewer letters.
            </EmptyState>
          )}
          {items.length > 0 && (
            <div className="table-wrap card">
              <table className="statements" aria-label="Personas">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Identifiers</th>
                    <th scope="col">Attributes</th>
                    <th scope="col">Updated (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((p) => <PersonaRow key={p.id} store={store.id} p={p} />)}
                </tbody>
              </table>
            </div>
          )}
          <nav className="row pager" aria-label="Pages">
            <button className="btn" disabled={cursors.length < 2}
              onClick={() => setPaging({ view, cursors: cursors.slice(0, -1) })}>← Previous</button>
            <span className="muted">Page {cursors.length}</span>
            <button className="btn" disabled={!next || list.isFetching}
              onClick={() => next && setPaging({ view, cursors: [...cursors, next] })}>Next →</button>
          </nav>
        </>
      )}
      {importing && <ImportDialog store={store.id} onClose={() => setImporting(false)} />}
    </div>
  );
}

function PersonaRow({ store, p }: { store: string; p: Persona }) {
  const attrs = Object.entries(p.attributes);
  return (
    <tr>
      <td><Link to={`/people/${p.id}?store=${encodeURIComponent(store)}`}>{p.name}</Link></td>
      <td>{identifierSummary(p.identifiers)}</td>
      <td>{attrs.map(([k, v]) => `${k}: ${v}`).join(", ")}</td>
      <td>{shortTime(p.updated)}</td>
    </tr>
  );
}
