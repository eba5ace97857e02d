// /embed/:link — a shared dashboard with no chrome at all, filling its frame: the grid's rows
// scale with the frame's height so the whole layout fits without scrolling when it can.
import { useEffect, useState } from "react";
import { fitRowHeight } from "../../lib/layout";
import { SharedBody, SharedState } from "./SharedDashboard";
import { useShared } from "./useShared";

function useViewportHeight(): number {
  const [h, setH] = useState(() => window.innerHeight);
  useEffect(() => {
    const on = () => setH(window.innerHeight);
    window.addEventListener("resize", on);
    return () => window.removeEventListener("resize", on);
  }, []);
  return h;
}

export function EmbedPage() {
  const { link, auth, q } = useShared();
  const height = useViewportHeight();
  return (
    <SharedState q={q}>
      {(d) => {
        const rows = Math.max(1, ...d.dashboard.layout.map((l) => l.y + l.h));
        // Rows share the frame's height (less the page's 8 px padding on each side).
        const rowHeight = fitRowHeight(height - 16, rows);
        return (
          <div className="embed" data-testid="embed">
            <SharedBody link={link} auth={auth} data={d} rowHeight={rowHeight} />
          </div>
        );
      }}
    </SharedState>
  );
}
