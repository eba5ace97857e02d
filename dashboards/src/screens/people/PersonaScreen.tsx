// One persona: its identifiers and attributes, how many statements it has and its most recent
// ones (names, not IRIs; links into the explorer); analysts rename it, merge another persona
// into it, split identifiers out into a new persona, or delete it, each change confirmed.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError } from "../../api/client";
import { usePersona, usePersonaMutations } from "../../api/personas";
import type { Filter, Persona } from "../../api/types";
import { ConfirmDialog, NameDialog } from "../../components/Modal";
import { EmptyState, ErrorBox, Loading } from "../../components/Status";
import { withFilter } from "../../lib/filterParam";
import { canEdit } from "../../lib/roles";
import { useCurrentStore } from "../../lib/useCurrentStore";
import { identifierText } from "./identifiers";
import { MergeDialog } from "./MergeDialog";
import { RecentActivity } from "./RecentActivity";
import { SplitDialog } from "./SplitDialog";

type Dialog = "rename" | "merge" | "split" | "delete";

export function PersonaScreen() {
  const { id = "" } = useParams();
  const { store, role, isPending } = useCurrentStore();
  const sid = store?.id ?? "";
  const persona = usePersona(sid, id);
  const m = usePersonaMutations(sid);
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<{ text: string; link?: Persona } | null>(null);
  const close = () => {
    setDialog(null);
    for (const x of [m.rename, m.merge, m.split, m.remove]) x.reset();
  };
  const people = `/people?store=${encodeURIComponent(sid)}`;

  if (isPending || persona.isPending) return <Loading />;
  if (!store) return <EmptyState title="Choose a store">People are the personas of one store.</EmptyState>;
  if (persona.error) {
    const gone = persona.error instanceof ApiError && persona.error.status === 404;
    return gone ? (
      <EmptyState title="This persona does not exist" action={<Link className="btn" to={people}>Back to People</Link>}>
        It may have been merged into another persona or deleted.
      </EmptyState>
    ) : <ErrorBox error={persona.error} title="The persona could not be read" />;
  }
  const p = persona.data;
  const editable = canEdit(role);
  const filter: Filter = { field: "persona", eq: p.id };
  const attrs = Object.entries(p.attributes);
  return (
    <div className="persona">
      <p className="back"><Link to={people}>← People</Link></p>
      <div className="page-head">
        <h1>{p.name}</h1>
        <span className="muted">{store.name}</span>
        <div className="spacer" />
        {editable && (
          <>
            <button className="btn" onClick={() => setDialog("rename")}>Rename</button>
            <button className="btn" onClick={() => setDialog("merge")}>Merge another persona in…</button>
            <button className="btn" onClick={() => setDialog("split")}>Split identifiers out…</button>
            <button className="btn danger" onClick={() => setDialog("delete")}>Delete</button>
          </>
        )}
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice.text}{" "}
          {notice.link && <Link to={`/people/${notice.link.id}?store=${encodeURIComponent(sid)}`}>Open {notice.link.name}</Link>}
        </p>
      )}
      <div className="persona-grid">
        <section className="card" aria-labelledby="identifiers-title">
          <h2 id="identifiers-title">Identifiers</h2>
          <ul className="identifiers">
            {p.identifiers.map((i) => {
              const t = identifierText(i);
              return <li key={t.key}><span className="chip">{t.kind}</span> {t.value}</li>;
            })}
          </ul>
        </section>
        <section className="card" aria-labelledby="attributes-title">
          <h2 id="attributes-title">Attributes</h2>
          {attrs.length === 0 ? <p className="muted">No attributes.</p> : (
            <dl className="attributes">
              {attrs.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
            </dl>
          )}
        </section>
      </div>
      <RecentActivity store={sid} filter={filter}
        explorer={withFilter("/explorer", sid, filter)} />

      {dialog === "rename" && (
        <NameDialog title="Rename persona" initial={p.name} submitLabel="Rename" pending={m.rename.isPending}
          error={m.rename.error} onClose={close}
          onSubmit={(name) => m.rename.mutate({ id: p.id, name }, { onSuccess: close })} />
      )}
      {dialog === "merge" && (
        <MergeDialog store={sid} into={p} pending={m.merge.isPending} error={m.merge.error} onClose={close}
          onMerge={(from) => m.merge.mutate({ into: p.id, from: from.id }, {
            onSuccess: () => {
              close();
              setNotice({ text: `${from.name} was merged into ${p.name}.` });
            },
          })} />
      )}
      {dialog === "split" && (
        <SplitDialog from={p} pending={m.split.isPending} error={m.split.error} onClose={close}
          onSplit={(name, identifiers) => m.split.mutate({ from: p.id, name, identifiers }, {
            onSuccess: (a) => {
              close();
              const n = a.created.identifiers.length;
              setNotice({ text: `${n} ${n === 1 ? "identifier" : "identifiers"} moved to the new persona ${a.created.name}.`, link: a.created });
            },
          })} />
      )}
      {dialog === "delete" && (
        <ConfirmDialog title="Delete persona" confirmLabel="Delete" pending={m.remove.isPending} error={m.remove.error}
          message={<>Delete <strong>{p.name}</strong>? Its statements stay; each of its identifiers counts as its own person again.</>}
          onClose={close} onConfirm={() => m.remove.mutate(p.id, { onSuccess: () => navigate(people) })} />
      )}
    </div>
  );
}
