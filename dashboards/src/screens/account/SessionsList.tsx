// A user's open sessions (sign-ins): when each began, which one is this browser's; end one
// with confirmation. Used on the account screen and, for site administrators, on users.
import { useState } from "react";
import { useEndSession, useSessions, type Session } from "../../api/accounts";
import { ConfirmDialog } from "../../components/Modal";
import { ErrorBox, Loading } from "../../components/Status";
import css from "../admin/admin.module.css";

export function SessionsList({ user, onEndedCurrent }: { user: string; onEndedCurrent?: () => void }) {
  const sessions = useSessions(user);
  const end = useEndSession(user);
  const [ending, setEnding] = useState<Session | null>(null);
  if (sessions.isPending) return <Loading />;
  if (sessions.error) return <ErrorBox error={sessions.error} title="The sessions could not be loaded" />;
  const list = sessions.data ?? [];
  return (
    <>
      {list.length === 0 ? (
        <p className="muted">No open session: nobody is signed in with this account right now.</p>
      ) : (
        <div className="card table-wrap">
          <table className={css.table} aria-label="Sessions">
            <thead>
              <tr><th scope="col">Signed in</th><th scope="col">Session</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id}>
                  <td>{new Date(s.created).toLocaleString()}</td>
                  <td>{s.current ? <span className={`${css.badge} ${css.on}`}>this browser</span> : <span className="muted">another browser or device</span>}</td>
                  <td className={css.actions}>
                    <button className="btn small danger" onClick={() => setEnding(s)}>End session</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {ending && (
        <ConfirmDialog
          title="End this session?"
          message={ending.current
            ? "This browser is signed out at once."
            : "That browser or device is signed out at once; it must sign in again."}
          confirmLabel="End session"
          pending={end.isPending}
          error={end.error}
          onClose={() => { setEnding(null); end.reset(); }}
          onConfirm={() => end.mutate(ending.id, {
            onSuccess: () => {
              const current = ending.current;
              setEnding(null);
              if (current) onEndedCurrent?.();
            },
          })}
        />
      )}
    </>
  );
}
