// Identifiers of a persona as the API sends them (Agent-like objects: `{"mbox": "mailto:…"}`,
// `{"account": {"homePage", "name"}}`, …) and as people read them: a kind and a value.
export type Identifier = Record<string, unknown>;

export type IdentifierText = { kind: string; value: string; key: string };

const KINDS: Record<string, string> = {
  mbox: "Email",
  mbox_sha1sum: "Email SHA1",
  openid: "OpenID",
  account: "Account",
};

/** The kind and text of an identifier, and a key unique among a persona's identifiers. */
export function identifierText(i: Identifier): IdentifierText {
  const [kind, v] = Object.entries(i)[0] ?? ["", ""];
  if (kind === "account" && v && typeof v === "object") {
    const a = v as { homePage?: unknown; name?: unknown };
    const value = `${String(a.name ?? "")} at ${String(a.homePage ?? "")}`;
    return { kind: KINDS.account!, value, key: `account:${String(a.homePage ?? "")}|${String(a.name ?? "")}` };
  }
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return {
    kind: KINDS[kind] ?? kind,
    value: kind === "mbox" ? text.replace(/^mailto:/i, "") : text,
    key: `${kind}:${text}`,
  };
}

/** A short summary of a persona's identifiers for a list: the first two and how many more. */
export function identifierSummary(list: Identifier[]): string {
  const shown = list.slice(0, 2).map((i) => identifierText(i).value);
  const more = list.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}
