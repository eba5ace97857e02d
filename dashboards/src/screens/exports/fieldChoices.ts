// The fields an export offers, and those chosen at first.
export const EXPORT_FIELDS: { field: string; label: string }[] = [
  { field: "id", label: "Statement id" },
  { field: "timestamp", label: "Timestamp" },
  { field: "stored", label: "Stored" },
  { field: "actor", label: "Actor" },
  { field: "verb", label: "Verb" },
  { field: "object.id", label: "Activity" },
  { field: "activity.type", label: "Activity type" },
  { field: "registration", label: "Registration" },
  { field: "result.success", label: "Success" },
  { field: "result.completion", label: "Completion" },
  { field: "result.score.scaled", label: "Scaled score" },
  { field: "result.score.raw", label: "Raw score" },
  { field: "result.duration_ms", label: "Duration (ms)" },
  { field: "context.platform", label: "Platform" },
  { field: "context.language", label: "Language" },
  { field: "authority", label: "Authority" },
];

export const DEFAULT_EXPORT_FIELDS = ["id", "timestamp", "actor", "verb", "object.id", "result.success", "result.score.scaled"];
