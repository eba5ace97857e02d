// What each role may do, in a few words, for the role pickers.
import type { Role } from "../../api/types";

export const ROLE_HELP: Record<Role, string> = {
  viewer: "sees dashboards and statements",
  analyst: "also builds queries, dashboards and personas",
  admin: "also manages stores, clients and members",
  owner: "also manages owners and deletes the organisation",
};
