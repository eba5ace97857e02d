// A filter value with autocomplete: as the user types, GET /stores/{id}/values lists the values
// seen at the field (most frequent first), shown by name when the LRS knows one.
import { useEffect, useId, useState } from "react";
import { useValues } from "../../api/analytics";
import { useNames } from "../../api/names";

export function ValueInput({
  store,
  path,
  value,
  onChange,
  enabled,
  label,
  placeholder,
}: {
  store: string;
  path: string;
  value: string;
  onChange: (v: string) => void;
  enabled: boolean;
  label: string;
  placeholder?: string;
}) {
  const listId = useId();
  const [open, setOpen] = useState(false);
  const [prefix, setPrefix] = useState(value);
  const [hl, setHl] = useState(0);
  // Debounce the typed prefix (200 ms) before asking the server.
  useEffect(() => {
    const t = setTimeout(() => setPrefix(value), 200);
    return () => clearTimeout(t);
  }, [value]);
  const values = useValues(store, path, prefix, enabled && open);
  // While the server answers the latest prefix, narrow the previous answer to what was typed.
  const items = (values.data ?? []).filter((i) => i.value.startsWith(value.trim()));
  const names = useNames(store, items.map((i) => i.value)).data ?? {};
  const shown = enabled && open && items.length > 0;
  const choose = (v: string) => {
    onChange(v);
    setOpen(false);
  };
  return (
    <div className="suggest">
      <input
        aria-label={label}
        role={enabled ? "combobox" : undefined}
        aria-autocomplete={enabled ? "list" : undefined}
        aria-expanded={enabled ? shown : undefined}
        aria-controls={shown ? listId : undefined}
        aria-activedescendant={shown ? `${listId}-${hl}` : undefined}
        value={value}
        placeholder={placeholder ?? (enabled ? "Type to search values" : "Value")}
        onChange={(e) => {
          onChange(e.target.value);
          setOpen(true);
          setHl(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (!open || items.length === 0) return;
          if (e.key === "ArrowDown") setHl((h) => Math.min(h + 1, items.length - 1));
          else if (e.key === "ArrowUp") setHl((h) => Math.max(h - 1, 0));
          else if (e.key === "Enter") {
            e.preventDefault();
            const it = items[hl];
            if (it) choose(it.value);
          } else if (e.key === "Escape") setOpen(false);
          else return;
          e.preventDefault();
        }}
        style={{ width: "100%" }}
      />
      {shown && (
        <ul role="listbox" id={listId} aria-label={`${label} suggestions`}>
          {items.map((it, i) => (
            <li
              key={it.value}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === hl}
              className={i === hl ? "hl" : undefined}
              title={it.value}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(it.value);
              }}
            >
              <span>{names[it.value] ?? it.value}</span>
              <small>{it.count.toLocaleString()}</small>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
