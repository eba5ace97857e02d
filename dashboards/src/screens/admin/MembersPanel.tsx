// The members of an organisation (admin): their roles, changed in place; add someone by email;
// remove with confirmation. Only owners are offered the owner role, or a change to an owner.
import { useState, type FormEvent } from "react";
import { useMemberMutations, useMembers, type Member } from "../../api/admin";
import type { Organisation, Role } from "../../api/types";
import { ConfirmDialog } from "../../components/Modal";
import { ErrorBox, Loading } from "../../components/Status";
import { atLeast } from "../../lib/roles";
import { ROLE_HELP } from "./roleHelp";
import css from "./admin.module.css";

const ROLES: Role[] = ["viewer", "analyst", "admin", "owner"];


export function MembersPanel({ org, myRole }: { org: Organisation; myRole: Role | null }) {
  const members = useMembers(org.id);
  const m = useMemberMutations(org.id);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const owner = atLeast(myRole, "owner");
  const offered = ROLES.filter((r) => r !== "owner" || owner);

  const add = (e: FormEvent) => {
    e.preventDefault();
    m.add.mutate({ email: email.trim(), role }, { onSuccess: () => setEmail("") });
  };

  return (
    <section className={css.section} aria-labelledby="members-title">
      <div className={css.sectionHead}>
        <h2 id="members-title">Members of {org.name}</h2>
      </div>
      <form className={`card ${css.inlineForm}`} onSubmit={add} aria-label="Add a member">
        <label style={{ flex: 1, minWidth: 240 }}>
          Email of the user
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="ada@example.com" />
        </label>
        <label>
          Role
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {offered.map((r) => <option key={r} value={r}>{r} ({ROLE_HELP[r]})</option>)}
          </select>
        </label>
        <button className="btn primary" type="submit" disabled={m.add.isPending}>Add member</button>
        {m.add.error && <p className="error" role="alert" style={{ flexBasis: "100%" }}>{m.add.error.message}</p>}
      </form>
      {members.isPending && <Loading />}
      {members.error && <ErrorBox error={members.error} title="The members could not be loaded" />}
      {members.data && members.data.length === 0 && (
        <p className="muted">Nobody has a role here yet. Add users by their email above; a site administrator creates their accounts.</p>
      )}
      {members.data && members.data.length > 0 && (
        <div className="card table-wrap">
          <table className={css.table}>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {members.data.map((x) => {
                const locked = x.role === "owner" && !owner;
                return (
                  <tr key={x.user}>
                    <td>{x.name || "—"}</td>
                    <td>{x.email}</td>
                    <td>
                      <select
                        aria-label={`Role of ${x.email}`}
                        value={x.role}
                        disabled={locked || m.setRole.isPending}
                        onChange={(e) => m.setRole.mutate({ user: x.user, role: e.target.value })}
                      >
                        {(locked ? ROLES : offered).map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    </td>
                    <td className={css.actions}>
                      {!locked && (
                        <button className="btn small danger" onClick={() => setRemoving(x)} aria-label={`Remove ${x.email}`}>Remove</button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {m.setRole.error && <p className="error" role="alert">{m.setRole.error.message}</p>}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.email}?`}
          message={`${removing.name || removing.email} loses the ${removing.role} role in ${org.name} and its stores. Their account stays.`}
          confirmLabel="Remove member"
          pending={m.remove.isPending}
          error={m.remove.error}
          onClose={() => { setRemoving(null); m.remove.reset(); }}
          onConfirm={() => m.remove.mutate(removing.user, { onSuccess: () => setRemoving(null) })}
        />
      )}
    </section>
  );
}
