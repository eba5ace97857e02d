// The error page of a shared view: says plainly why nothing is shown, never shows data.
import { ApiError } from "../../api/client";

export function SharedError({ error }: { error: unknown }) {
  const status = error instanceof ApiError ? error.status : 0;
  const message = error instanceof Error ? error.message : "";
  const title =
    status === 401
      ? "This link's access token is not valid"
      : status === 403
        ? "This dashboard is not available"
        : status === 404
          ? "This link does not exist"
          : status === 400
            ? "This link's address is not valid"
            : "The dashboard could not be loaded";
  const hint =
    status === 401
      ? "The token in the address is missing, expired, altered or signed with another key. Ask the site that gave you the link for a fresh one."
      : status === 403
        ? "The link was revoked, has expired, or is not shared. Ask its owner for a new link."
        : status === 404
          ? "Check the address, or ask the dashboard's owner for the link."
          : "";
  return (
    <div className="page-center" data-testid="shared-error">
      <div className="card narrow" role="alert">
        <h1>{title}</h1>
        {hint && <p className="muted">{hint}</p>}
        {message && <p className="code">{message}</p>}
      </div>
    </div>
  );
}
