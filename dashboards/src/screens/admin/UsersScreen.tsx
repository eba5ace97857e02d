// Every user (site administrators): create with a first role, make or unmake site
// administrator, disable or enable, delete, and see or end their sessions. Disabling, deleting
// and removing a site administrator ask first.
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { keys } from "../../api/keys";
import { useUserMutations, useUsers, type UserItem, type UserPatch } from "../../api/accounts";
import { useMe } from "../../api/session";
import { useOrganisations } from "../../api/stores";
import { ConfirmDialog, Modal } from "../../components/Modal";
import { ErrorBox, Loading } from "../../components/Status";
import { SessionsList } from "../account/SessionsList";
import { UserForm } from "./UserForm";
import css from "./admin.module.css";

type Ask =
  | { kind: "patch"; user: UserItem; patch: UserPatch; title: string; message: string; label: string }
  | { kind: "delete"; user: UserItem };

export function UsersScreen() {
  const me = useMe();
  const users = useUsers();
  const orgs = useOrganisations(!!me.data);
  const m = useUserMutations();
  const [creating, setCreating] = useState(false);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [sessionsOf, setSessionsOf] = useState<UserItem | null>(null);
  const qc = useQueryClient();
  const navigate = useNavigate();
  if (users.isPending) return <Loading />;
  if (users.error) return <ErrorBox error={users.error} title="The users could not be loaded" />;
  const close = () => { setAsk(null); m.update.reset(); m.remove.reset(); };
  const who = (u: UserItem) => u.name || u.email;
  const list = [...(users.data ?? [])].sort((a, b) => a.email.localeCompare(b.email));

  return (
    <section className={css.section} aria-labelledby="users-title">
      <div className={css.sectionHead}>
        <h2 id="users-title">Users</h2>
        <div className="spacer" />
        <button className="btn primary" onClick={() => setCreating(true)}>New user</button>
      </div>
      <p className="muted hint">People who sign in to Cairn. Give them roles here when you create them, or later under Organisations → Members.</p>
      <div className="card table-wrap">
        <table className={css.table}>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Access</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.map((u) => (
              <tr key={u.id}>
                <td>{u.name || "—"}{u.id === me.data?.user.id && <span className="muted"> (you)</span>}</td>
                <td>{u.email}</td>
                <td>
                  {u.site_admin && <span className={`${css.badge} ${css.on}`}>site administrator</span>}
                  {u.disabled && <span className={`${css.badge} ${css.off}`}>disabled</span>}
                </td>
                <td className={css.actions}>
                  <button className="btn small" onClick={() => setSessionsOf(u)} aria-label={`Sessions of ${u.email}`}>Sessions</button>
                  {u.site_admin ? (
                    <button className="btn small" aria-label={`Remove site administrator from ${u.email}`} onClick={() => setAsk({ kind: "patch", user: u, patch: { site_admin: false },
                      title: `${who(u)} is no longer a site administrator?`, message: "They keep only the roles they hold in organisations.", label: "Remove site administrator" })}>Remove site admin</button>
                  ) : (
                    <button className="btn small" disabled={m.update.isPending} onClick={() => m.update.mutate({ id: u.id, site_admin: true })} aria-label={`Make ${u.email} site administrator`}>Make site admin</button>
                  )}
                  {u.disabled ? (
                    <button className="btn small" disabled={m.update.isPending} onClick={() => m.update.mutate({ id: u.id, disabled: false })} aria-label={`Enable ${u.email}`}>Enable</button>
                  ) : (
                    <button className="btn small" aria-label={`Disable ${u.email}`} onClick={() => setAsk({ kind: "patch", user: u, patch: { disabled: true },
                      title: `Disable ${who(u)}?`, message: "They are signed out everywhere and cannot sign in, nor use their tokens, until you enable them again.", label: "Disable user" })}>Disable</button>
                  )}
                  <button className="btn small danger" onClick={() => setAsk({ kind: "delete", user: u })} aria-label={`Delete ${u.email}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {m.update.error && !ask && <p className="error" role="alert">{m.update.error.message}</p>}
      {creating && (
        <UserForm orgs={orgs.data ?? []} pending={m.create.isPending} error={m.create.error}
          onClose={() => { setCreating(false); m.create.reset(); }}
          onSubmit={(v) => m.create.mutate(v, { onSuccess: () => { setCreating(false); m.create.reset(); } })} />
      )}
      {ask?.kind === "patch" && (
        <ConfirmDialog title={ask.title} message={ask.message} confirmLabel={ask.label} pending={m.update.isPending} error={m.update.error}
          onClose={close} onConfirm={() => m.update.mutate({ id: ask.user.id, ...ask.patch }, { onSuccess: close })} />
      )}
      {ask?.kind === "delete" && (
        <ConfirmDialog title={`Delete ${who(ask.user)}?`} message="The user, their roles and their personal tokens are deleted for good. Disable them instead to keep their account."
          confirmLabel="Delete user" pending={m.remove.isPending} error={m.remove.error}
          onClose={close} onConfirm={() => m.remove.mutate(ask.user.id, { onSuccess: close })} />
      )}
      {sessionsOf && (
        <Modal title={`Sessions of ${who(sessionsOf)}`} onClose={() => setSessionsOf(null)} wide>
          <SessionsList user={sessionsOf.id} onEndedCurrent={() => { qc.clear(); qc.setQueryData(keys.me, null); navigate("/login"); }} />
        </Modal>
      )}
    </section>
  );
}
