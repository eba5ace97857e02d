// The empty state of a store without statements: its xAPI endpoint and a curl command that
// sends one, with a client's key and secret to fill in.
export function NoStatements() {
  const endpoint = `${window.location.origin}/xapi/`;
  const curl = [
    `curl -u CLIENT_KEY:CLIENT_SECRET -H 'X-Experience-API-Version: 1.0.3' \\`,
    `  -H 'Content-Type: application/json' ${endpoint}statements \\`,
    `  -d '{"actor":{"mbox":"mailto:ada@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://example.com/course/1"}}'`,
  ].join("\n");
  return (
    <div className="empty">
      <h2>This store has no statements yet</h2>
      <p className="muted">
        Point your LMS or learning app at the store's xAPI endpoint, <code>{endpoint}</code>, with one of
        the store's clients (an administrator creates them), or send one from a terminal:
      </p>
      <pre className="code" style={{ textAlign: "left", maxWidth: 760, margin: "0 auto" }}>{curl}</pre>
    </div>
  );
}
