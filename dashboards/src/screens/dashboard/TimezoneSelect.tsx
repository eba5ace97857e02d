// The dashboard's time zone: every IANA zone the browser knows, the browser's own first.
import { useMemo } from "react";

function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? [];
  return all.includes("UTC") ? all : ["UTC", ...all];
}

export function TimezoneSelect({ tz, onChange }: { tz: string; onChange: (tz: string) => void }) {
  const list = useMemo(() => {
    const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const z = zones();
    const head = [tz, "UTC", own].filter((v, i, a) => v && a.indexOf(v) === i);
    return [...head, ...z.filter((x) => !head.includes(x))];
  }, [tz]);
  return (
    <select aria-label="Time zone" value={tz} onChange={(e) => onChange(e.target.value)} style={{ maxWidth: 180 }}>
      {list.map((z) => (
        <option key={z} value={z}>{z}</option>
      ))}
    </select>
  );
}
