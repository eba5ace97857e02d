// /s/:link — a shared dashboard with a title bar and no app navigation.
import { SharedBody, SharedState } from "./SharedDashboard";
import { useShared } from "./useShared";

export function SharedPage() {
  const { link, auth, q } = useShared();
  return (
    <SharedState q={q}>
      {(d) => (
        <div className="shared">
          <header className="shared-bar">
            <h1>{d.dashboard.name}</h1>
            {d.dashboard.description && <span className="muted">{d.dashboard.description}</span>}
            <div className="spacer" />
            <span className="muted" style={{ fontSize: 12 }}>Shared from Cairn</span>
          </header>
          <main className="content">
            <SharedBody link={link} auth={auth} data={d} rowHeight={60} />
          </main>
        </div>
      )}
    </SharedState>
  );
}
