// The link of a shared page and what its URL carries (filter or token), and the dashboard.
import { useLocation, useParams } from "react-router";
import { useSharedDashboard } from "../../api/shared";
import { readAuth } from "../../lib/shareUrl";

export function useShared() {
  const { link = "" } = useParams();
  const location = useLocation();
  const auth = readAuth(location.search);
  const q = useSharedDashboard(link, auth);
  return { link, auth, q };
}
