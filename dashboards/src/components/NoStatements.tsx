// The empty state of a store without statements: its xAPI endpoint and a curl command that
// sends one, with a client's key and secret to fill in (or filled in, when the screen has them).
import { curlCommand, xapiEndpoint } from "../lib/curl";

export function NoStatements({ credentials }: { credentials?: { key: string; secret: string } }) {
  const endpoint = xapiEndpoint();
  return (
    <div className="empty">
      <h2>This store has no statements yet</h2>
      <p className="muted">
        Point your LMS or learning app at the store's xAPI endpoint, <code>{endpoint}</code>, with one of
        the store's clients (an administrator creates them), or send one from a terminal:
      </p>
      <pre className="code" style={{ textAlign: "left", maxWidth: 760, margin: "0 auto" }}>{curlCommand(credentials)}</pre>
    </div>
  );
}
