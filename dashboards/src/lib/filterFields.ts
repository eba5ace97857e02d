// Every field the filter language knows (docs/api.md, Filter language), with a label and a
// kind, and the three extension containers whose paths are `<container>.<IRI>`.
export type FieldKind = "string" | "list" | "number" | "boolean" | "time";

export type FieldInfo = { path: string; label: string; kind: FieldKind };

export const FILTER_FIELDS: FieldInfo[] = [
  { path: "verb", label: "Verb", kind: "string" },
  { path: "object.id", label: "Activity", kind: "string" },
  { path: "activity.type", label: "Activity type", kind: "string" },
  { path: "object.type", label: "Object type", kind: "string" },
  { path: "actor", label: "Actor", kind: "string" },
  { path: "agents", label: "Any agent", kind: "list" },
  { path: "persona", label: "Persona", kind: "string" },
  { path: "registration", label: "Registration", kind: "string" },
  { path: "context.parent", label: "Parent activity", kind: "list" },
  { path: "context.grouping", label: "Grouping activity", kind: "list" },
  { path: "context.category", label: "Category", kind: "list" },
  { path: "context.other", label: "Other context activity", kind: "list" },
  { path: "context.platform", label: "Platform", kind: "string" },
  { path: "context.language", label: "Language", kind: "string" },
  { path: "result.success", label: "Success", kind: "boolean" },
  { path: "result.completion", label: "Completion", kind: "boolean" },
  { path: "result.score.scaled", label: "Scaled score", kind: "number" },
  { path: "result.score.raw", label: "Raw score", kind: "number" },
  { path: "result.score.min", label: "Minimum score", kind: "number" },
  { path: "result.score.max", label: "Maximum score", kind: "number" },
  { path: "result.duration_ms", label: "Duration (ms)", kind: "number" },
  { path: "authority", label: "Authority", kind: "string" },
  { path: "version", label: "xAPI version", kind: "string" },
  { path: "timestamp", label: "Timestamp", kind: "time" },
  { path: "stored", label: "Stored", kind: "time" },
];

export const EXTENSION_CONTAINERS = [
  { path: "result.extensions", label: "Result extension" },
  { path: "context.extensions", label: "Context extension" },
  { path: "object.definition.extensions", label: "Activity extension" },
] as const;

/** The container and IRI of an extension path, or null. */
export function splitExtension(path: string): { container: string; iri: string } | null {
  for (const c of EXTENSION_CONTAINERS) {
    if (path.startsWith(`${c.path}.`)) return { container: c.path, iri: path.slice(c.path.length + 1) };
  }
  return null;
}

/** A field's kind; extension paths compare their text, so they are strings. */
export function kindOf(path: string): FieldKind {
  return FILTER_FIELDS.find((f) => f.path === path)?.kind ?? "string";
}

export function fieldLabelOf(path: string): string {
  const f = FILTER_FIELDS.find((x) => x.path === path);
  if (f) return f.label;
  const ext = splitExtension(path);
  if (ext) return `${EXTENSION_CONTAINERS.find((c) => c.path === ext.container)?.label ?? "Extension"} ${ext.iri}`;
  return path;
}

/** Whether the values endpoint can suggest values for the path. */
export function suggestsValues(path: string): boolean {
  const k = kindOf(path);
  return (k === "string" || k === "list") && path !== "persona";
}
