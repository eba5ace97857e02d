// The signed-in frame: header (brand, store picker, user menu) around the routed screen.
import { Link, NavLink, Navigate, Outlet, useLocation, useSearchParams } from "react-router";
import { useMe, useLogout } from "../../api/session";
import { StorePicker } from "./StorePicker";
import { Loading, ErrorBox } from "../../components/Status";
import { adminScreens } from "../../lib/roles";

export function AppShell() {
  const me = useMe();
  const logout = useLogout();
  const location = useLocation();
  const [params] = useSearchParams();
  // The store and the filter follow the reader from screen to screen.
  const keep = new URLSearchParams();
  for (const k of ["store", "filter"]) {
    const v = params.get(k);
    if (v) keep.set(k, v);
  }
  const to = (path: string) => (keep.size ? `${path}?${keep}` : path);

  if (me.isPending) return <Loading />;
  if (me.error) return <ErrorBox error={me.error} />;
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  const user = me.data.user;
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">Cairn</Link>
        <StorePicker />
        <nav className="main-nav" aria-label="Screens">
          <NavLink to={to("/")} end>Dashboards</NavLink>
          <NavLink to={to("/query")}>Query builder</NavLink>
          <NavLink to={to("/explorer")}>Explorer</NavLink>
          <NavLink to={to("/exports")}>Exports</NavLink>
          <NavLink to={to("/people")}>People</NavLink>
          {adminScreens(me.data).organisations && <NavLink to="/admin">Administration</NavLink>}
        </nav>
        <div className="spacer" />
        <NavLink to="/account" className="user" title={`Your account: ${user.email}`}>{user.name || user.email}</NavLink>
        <button className="btn ghost" onClick={() => logout.mutate()}>Sign out</button>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
