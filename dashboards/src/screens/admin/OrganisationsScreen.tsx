// Organisations the caller can see, as a tree: create (top-level: site administrators; nested:
// admins of the parent), rename (admin), delete (owner, with confirmation), and the members of
// the one chosen (admin).
import { useState } from "react";
import { useOrganisationMutations } from "../../api/admin";
import { useMe } from "../../api/session";
import { useOrganisations } from "../../api/stores";
import type { Organisation } from "../../api/types";
import { ConfirmDialog, NameDialog } from "../../components/Modal";
import { ErrorBox, Loading } from "../../components/Status";
import { atLeast, roleOnOrganisation } from "../../lib/roles";
import { MembersPanel } from "./MembersPanel";
import { orgTree } from "./orgTree";
import css from "./admin.module.css";

type Dialog =
  | { kind: "create"; parent: Organisation | null }
  | { kind: "rename"; org: Organisation }
  | { kind: "delete"; org: Organisation };

export function OrganisationsScreen() {
  const me = useMe();
  const orgs = useOrganisations(!!me.data);
  const m = useOrganisationMutations();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const close = () => {
    setDialog(null);
    for (const x of [m.create, m.rename, m.remove]) x.reset();
  };
  if (!me.data || orgs.isPending) return <Loading />;
  if (orgs.error) return <ErrorBox error={orgs.error} title="The organisations could not be loaded" />;
  const list = orgs.data ?? [];
  const role = (o: Organisation) => (me.data ? roleOnOrganisation(me.data, list, o.id) : null);
  const members = list.find((o) => o.id === chosen && atLeast(role(o), "admin"));

  return (
    <div>
      <section className={css.section} aria-labelledby="orgs-title">
        <div className={css.sectionHead}>
          <h2 id="orgs-title">Organisations</h2>
          <div className="spacer" />
          {me.data.user.site_admin && (
            <button className="btn primary" onClick={() => setDialog({ kind: "create", parent: null })}>
              New organisation
            </button>
          )}
        </div>
        <p className="muted hint">
          Roles given in an organisation apply to its stores and to every organisation under it.
        </p>
        <div className="card table-wrap">
          <table className={css.table}>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Your role</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {orgTree(list).map(({ org, depth }) => {
                const r = role(org);
                return (
                  <tr key={org.id}>
                    <td><span className={css.indent} style={{ paddingLeft: depth * 20 }}>{depth > 0 && "└ "}{org.name}</span></td>
                    <td><span className={css.badge}>{r ?? "none"}</span></td>
                    <td className={css.actions}>
                      {atLeast(r, "admin") && (
                        <>
                          <button className="btn small" aria-pressed={chosen === org.id} onClick={() => setChosen(org.id)} aria-label={`Members of ${org.name}`}>Members</button>
                          <button className="btn small" onClick={() => setDialog({ kind: "create", parent: org })} aria-label={`New sub-organisation of ${org.name}`}>New sub-organisation</button>
                          <button className="btn small" onClick={() => setDialog({ kind: "rename", org })} aria-label={`Rename ${org.name}`}>Rename</button>
                        </>
                      )}
                      {atLeast(r, "owner") && (
                        <button className="btn small danger" onClick={() => setDialog({ kind: "delete", org })} aria-label={`Delete ${org.name}`}>Delete</button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      {members ? (
        <MembersPanel org={members} myRole={role(members)} />
      ) : (
        <p className="muted">Choose <strong>Members</strong> on an organisation to see who has a role in it and give roles.</p>
      )}
      {dialog?.kind === "create" && (
        <NameDialog
          title={dialog.parent ? `New organisation under ${dialog.parent.name}` : "New organisation"}
          submitLabel="Create"
          pending={m.create.isPending}
          error={m.create.error}
          onClose={close}
          onSubmit={(name) => m.create.mutate({ name, parent: dialog.parent?.id ?? null }, { onSuccess: close })}
        />
      )}
      {dialog?.kind === "rename" && (
        <NameDialog
          title={`Rename ${dialog.org.name}`}
          initial={dialog.org.name}
          submitLabel="Rename"
          pending={m.rename.isPending}
          error={m.rename.error}
          onClose={close}
          onSubmit={(name) => m.rename.mutate({ id: dialog.org.id, name }, { onSuccess: close })}
        />
      )}
      {dialog?.kind === "delete" && (
        <ConfirmDialog
          title={`Delete ${dialog.org.name}?`}
          message="The organisation and every role given in it are deleted. It must have no stores and no organisations under it: delete or move those first."
          confirmLabel="Delete organisation"
          pending={m.remove.isPending}
          error={m.remove.error}
          onClose={close}
          onConfirm={() => m.remove.mutate(dialog.org.id, { onSuccess: close })}
        />
      )}
    </div>
  );
}
