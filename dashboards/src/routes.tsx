// Client routes: /login, /setup (the first run's set-up link), / (dashboards of the chosen store),
// /dashboards/:id, the query builder (/query), the statement explorer (/explorer), exports
// (/exports), people (/people, a persona at /people/:id), the caller's account (/account),
// administration (/admin/..., its own routes), and the shared views
// /s/:link and /embed/:link (which never touch the session API).
import { createBrowserRouter } from "react-router";
import { AppShell } from "./screens/shell/AppShell";
import { SignIn } from "./screens/signin/SignIn";
import { NotFound } from "./components/NotFound";

export const router = createBrowserRouter([
  { path: "/login", element: <SignIn /> },
  { path: "/setup", lazy: async () => ({ Component: (await import("./screens/setup/SetupScreen")).SetupScreen }) },
  {
    path: "/",
    element: <AppShell />,
    children: [
      { index: true, lazy: async () => ({ Component: (await import("./screens/dashboards/DashboardsList")).DashboardsList }) },
      { path: "dashboards/:id", lazy: async () => ({ Component: (await import("./screens/dashboard/DashboardScreen")).DashboardScreen }) },
      { path: "query", lazy: async () => ({ Component: (await import("./screens/query/QueryScreen")).QueryScreen }) },
      { path: "explorer", lazy: async () => ({ Component: (await import("./screens/explorer/ExplorerScreen")).ExplorerScreen }) },
      { path: "people", lazy: async () => ({ Component: (await import("./screens/people/PeopleScreen")).PeopleScreen }) },
      { path: "people/:id", lazy: async () => ({ Component: (await import("./screens/people/PersonaScreen")).PersonaScreen }) },
      { path: "exports", lazy: async () => ({ Component: (await import("./screens/exports/ExportsScreen")).ExportsScreen }) },
      { path: "account", lazy: async () => ({ Component: (await import("./screens/account/AccountScreen")).AccountScreen }) },
      { path: "admin/*", lazy: async () => ({ Component: (await import("./screens/admin/AdminRoutes")).AdminRoutes }) },
    ],
  },
  { path: "/s/:link", lazy: async () => ({ Component: (await import("./screens/shared/SharedPage")).SharedPage }) },
  { path: "/embed/:link", lazy: async () => ({ Component: (await import("./screens/shared/EmbedPage")).EmbedPage }) },
  { path: "*", element: <NotFound /> },
]);
