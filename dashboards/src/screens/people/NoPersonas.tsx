// The empty state of a store without personas: what a persona is, how one comes to exist, and
// the CSV an import takes.
const EXAMPLE_CSV = [
  "name,mbox,account_homepage,account_name,team",
  "Ada Lovelace,mailto:ada@example.com,https://lms.example.com,ada.l,Engines",
  "Ada Lovelace,mailto:ada.lovelace@work.example.com,,,",
  "Grace Hopper,mailto:grace@example.com,,,Compilers",
].join("\n");

export function NoPersonas({ store, editable, onImport }: { store: string; editable: boolean; onImport: () => void }) {
  return (
    <div className="empty">
      <h2>No personas yet</h2>
      <p className="muted">
        A persona is one person with every identifier they use: a work and a home address, an LMS
        account. Until someone creates personas, every actor of a statement counts as their own
        person. Personas are created by an analyst here, from a CSV file, or by a script through
        the API (<code>POST /api/v1/stores/{store}/personas</code>).
      </p>
      {editable ? (
        <>
          <p className="muted">
            A CSV needs a header with <code>name</code> and at least one identifier column
            (<code>mbox</code>, <code>mbox_sha1sum</code>, <code>openid</code>, or <code>account_homepage</code> with
            {" "}<code>account_name</code>). Rows with the same name become one persona; any other column is an attribute.
          </p>
          <pre className="code example-csv">{EXAMPLE_CSV}</pre>
          <button className="btn primary" onClick={onImport}>Import a CSV file</button>
        </>
      ) : (
        <p className="muted">Analysts of your organisation can create them.</p>
      )}
    </div>
  );
}
