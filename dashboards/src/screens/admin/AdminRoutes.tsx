// Administration (/admin/...): tabs for the screens the caller's role may use, as the admin API
// allows (lib/roles.ts adminScreens): organisations and stores for admins and owners, users for
// site administrators. A screen the role may not use is never offered; opened by its address
// it says so instead of failing request by request.
import { Navigate, NavLink, Route, Routes } from "react-router";
import { useMe } from "../../api/session";
import { EmptyState, Loading } from "../../components/Status";
import { NotFound } from "../../components/NotFound";
import { adminScreens } from "../../lib/roles";
import { OrganisationsScreen } from "./OrganisationsScreen";
import { StoresScreen } from "./StoresScreen";
import { StoreScreen } from "./StoreScreen";
import { ForwarderScreen } from "./ForwarderScreen";
import { ForwardersScreen } from "./ForwardersScreen";
import { UsersScreen } from "./UsersScreen";
import css from "./admin.module.css";

function NotAllowed({ what }: { what: string }) {
  return (
    <EmptyState title={`${what} is for administrators`}>
      Your role does not let you manage this. Ask an owner or administrator of your organisation
      (or a site administrator) to give you the role you need.
    </EmptyState>
  );
}

export function AdminRoutes() {
  const me = useMe();
  if (!me.data) return <Loading />;
  const may = adminScreens(me.data);
  if (!may.organisations) return <NotAllowed what="Administration" />;
  return (
    <div>
      <div className="page-head">
        <h1>Administration</h1>
      </div>
      <nav className={css.tabs} aria-label="Administration">
        <NavLink to="/admin/organisations">Organisations</NavLink>
        <NavLink to="/admin/stores">Stores</NavLink>
        {may.users && <NavLink to="/admin/users">Users</NavLink>}
      </nav>
      <Routes>
        <Route index element={<Navigate to="/admin/stores" replace />} />
        <Route path="organisations" element={<OrganisationsScreen />} />
        <Route path="stores" element={<StoresScreen />} />
        <Route path="stores/:id" element={<StoreScreen />} />
        <Route path="stores/:id/forwarders" element={<ForwardersScreen />} />
        <Route path="stores/:id/forwarders/:fid" element={<ForwarderScreen />} />
        <Route path="users" element={may.users ? <UsersScreen /> : <NotAllowed what="Managing users" />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </div>
  );
}
