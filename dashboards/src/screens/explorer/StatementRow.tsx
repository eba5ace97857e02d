// One statement of the explorer: its chosen cells (actor, verb and activity link to a filter
// on them) and, expanded, the whole statement as JSON.
import { Fragment } from "react";
import { Link } from "react-router";
import type { StatementItem } from "../../api/statements";
import { filterOn, withFilter } from "../../lib/filterParam";
import { COLUMNS, cellText } from "./columns";

export function StatementRow({ store, item, fields, names, open, onToggle }: {
  store: string;
  item: StatementItem;
  fields: string[];
  names: Record<string, string>;
  open: boolean;
  onToggle: () => void;
}) {
  const detail = `statement-${item.seq}`;
  return (
    <Fragment>
      <tr className={open ? "open" : undefined}>
        <td>
          <button className="btn ghost small" aria-expanded={open} aria-controls={detail} onClick={onToggle}
            aria-label={`${open ? "Hide" : "Show"} statement ${item.seq}`}>{open ? "▾" : "▸"}</button>
        </td>
        {fields.map((f) => {
          const text = cellText(f, item, names);
          const raw = item[f];
          const link = COLUMNS.find((c) => c.field === f)?.link && typeof raw === "string" && raw !== "";
          return (
            <td key={f} title={typeof raw === "string" ? raw : undefined}>
              {link ? (
                <Link to={withFilter("/explorer", store, filterOn(f, raw as string))}
                  aria-label={`Only statements whose ${COLUMNS.find((c) => c.field === f)?.label.toLowerCase()} is ${text}`}>{text}</Link>
              ) : text}
            </td>
          );
        })}
      </tr>
      {open && (
        <tr className="detail">
          <td colSpan={fields.length + 1} id={detail}>
            <pre className="code" tabIndex={0} aria-label={`Statement ${item.seq} as JSON`} data-testid="statement-json">
              {JSON.stringify(item.statement ?? {}, null, 2)}
            </pre>
          </td>
        </tr>
      )}
    </Fragment>
  );
}
