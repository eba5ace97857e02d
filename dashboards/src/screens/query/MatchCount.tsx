// The live count of statements matching the filter being built (announced politely).
import { useStatementCount } from "../../api/statements";
import type { Filter } from "../../api/types";

export function MatchCount({ store, filter, valid }: { store: string; filter: Filter | null; valid: boolean }) {
  const count = useStatementCount(store, filter, valid);
  let text: string;
  if (!valid) text = "Finish the conditions to count the matching statements.";
  else if (count.error) text = `Cannot count: ${count.error.message}`;
  else if (count.data === undefined) text = "Counting…";
  else text = `${count.data.toLocaleString()} statement${count.data === 1 ? "" : "s"} match${count.data === 1 ? "es" : ""}`;
  return (
    <p className="match-count" role="status" aria-live="polite" data-testid="match-count" data-count={valid ? count.data : undefined}>
      {count.isFetching && valid ? <span className="muted">{text}</span> : text}
    </p>
  );
}
