import { Link } from "react-router";

export function NotFound() {
  return (
    <div className="page-center">
      <div className="card narrow">
        <h1>Page not found</h1>
        <p className="muted">This address does not lead anywhere in Cairn.</p>
        <Link className="btn primary" to="/">Go to your dashboards</Link>
      </div>
    </div>
  );
}
