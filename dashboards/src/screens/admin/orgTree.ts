// Organisations in tree order: each followed by its children (by name), with its depth. An
// organisation whose parent the caller cannot see is shown as a root.
import type { Organisation } from "../../api/types";

export type OrgNode = { org: Organisation; depth: number };

export function orgTree(orgs: Organisation[]): OrgNode[] {
  const ids = new Set(orgs.map((o) => o.id));
  const children = new Map<string | null, Organisation[]>();
  for (const o of orgs) {
    const p = o.parent && ids.has(o.parent) ? o.parent : null;
    const list = children.get(p) ?? [];
    list.push(o);
    children.set(p, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  const out: OrgNode[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    for (const o of children.get(parent) ?? []) {
      if (seen.has(o.id)) continue;
      seen.add(o.id);
      out.push({ org: o, depth });
      walk(o.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}
