// The signed-in user's account (every role): who they are and their roles, personal tokens,
// and open sessions.
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { useMe } from "../../api/session";
import { useOrganisations } from "../../api/stores";
import { keys } from "../../api/keys";
import { Loading } from "../../components/Status";
import { SessionsList } from "./SessionsList";
import { TokensPanel } from "./TokensPanel";
import css from "../admin/admin.module.css";

export function AccountScreen() {
  const me = useMe();
  const orgs = useOrganisations(!!me.data);
  const qc = useQueryClient();
  const navigate = useNavigate();
  if (!me.data) return <Loading />;
  const { user, memberships } = me.data;
  const orgName = new Map((orgs.data ?? []).map((o) => [o.id, o.name]));
  return (
    <div>
      <div className="page-head"><h1>Your account</h1></div>
      <section className={`card ${css.section}`} aria-labelledby="me-title">
        <h2 id="me-title">{user.name || user.email}</h2>
        <p className="muted hint">{user.email}</p>
        <div>
          {user.site_admin && <span className={`${css.badge} ${css.on}`}>site administrator</span>}
          {memberships.map((m) => (
            <span key={m.organisation} className={css.badge}>{m.role} in {orgName.get(m.organisation) ?? "an organisation"}</span>
          ))}
          {!user.site_admin && memberships.length === 0 && (
            <span className="muted">You have no role yet: ask an administrator of your organisation to add you.</span>
          )}
        </div>
      </section>
      <TokensPanel />
      <section className={css.section} aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        <p className="muted hint">Every browser where you are signed in. End one you do not recognise, then change your password.</p>
        <SessionsList user={user.id} onEndedCurrent={() => { qc.clear(); qc.setQueryData(keys.me, null); navigate("/login"); }} />
      </section>
    </div>
  );
}
