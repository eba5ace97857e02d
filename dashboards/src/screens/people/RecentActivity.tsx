// A persona's statements: how many, and the most recently stored ones with verbs and
// activities by name; a verb or an activity opens the explorer on this persona and that value.
import { Link } from "react-router";
import { useNames } from "../../api/names";
import { useStatementCount, useStatementPage } from "../../api/statements";
import type { Filter } from "../../api/types";
import { ErrorBox, Loading } from "../../components/Status";
import { withFilter } from "../../lib/filterParam";
import { cellText, iris } from "../explorer/columns";

const RECENT = 10;
const FIELDS = ["stored", "timestamp", "verb", "object.id", "result.success"];
const LABELS: Record<string, string> = { stored: "Stored", timestamp: "Timestamp", verb: "Verb", "object.id": "Activity", "result.success": "Success" };

export function RecentActivity({ store, filter, explorer }: { store: string; filter: Filter; explorer: string }) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const count = useStatementCount(store, filter);
  const page = useStatementPage(store, { filter, fields: FIELDS, tz, cursor: null, limit: RECENT });
  const items = page.data?.items ?? [];
  const names = useNames(store, iris(items, FIELDS)).data ?? {};
  return (
    <section className="card recent" aria-labelledby="recent-title">
      <div className="row">
        <h2 id="recent-title">Recent activity</h2>
        <div className="spacer" />
        {count.data !== undefined && (
          <span data-testid="persona-count">
            {count.data.toLocaleString()} {count.data === 1 ? "statement" : "statements"}
          </span>
        )}
        <Link className="btn" to={explorer}>Open in the explorer</Link>
      </div>
      {(page.error ?? count.error) && <ErrorBox error={page.error ?? count.error} title="The statements could not be read" />}
      {page.isPending && <Loading />}
      {page.data && items.length === 0 && (
        <p className="muted">No statement of this persona yet: statements count here as soon as an actor uses one of its identifiers.</p>
      )}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="statements" aria-label="Most recent statements of this persona">
            <thead>
              <tr>{FIELDS.map((f) => <th key={f} scope="col">{LABELS[f]}</th>)}</tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.seq}>
                  {FIELDS.map((f) => {
                    const text = cellText(f, item, names);
                    const raw = item[f];
                    const linked = (f === "verb" || f === "object.id") && typeof raw === "string" && raw !== "";
                    return (
                      <td key={f} title={typeof raw === "string" ? raw : undefined}>
                        {linked ? (
                          <Link to={withFilter("/explorer", store, { and: [filter, { field: f, eq: raw }] })}
                            aria-label={`Statements of this persona whose ${LABELS[f]?.toLowerCase()} is ${text}`}>{text}</Link>
                        ) : text}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
