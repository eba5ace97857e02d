// The first run: the set-up link `cairn serve` prints (/setup#token=…) opens this screen, which
// creates the site administrator and signs them in. A used, expired or wrong link shows why.
import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { useSetup, useSetupCheck } from "../../api/signin";

function tokenOf(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token") ?? "";
}

export function SetupScreen() {
  const location = useLocation();
  const token = tokenOf(location.hash);
  const check = useSetupCheck(token);
  const setup = useSetup();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);

  if (!token || check.isError) {
    const message = token
      ? (check.error?.message ?? "")
      : "This address has no set-up token: open the whole link that `cairn serve` printed.";
    const why = message.charAt(0).toUpperCase() + message.slice(1);
    return (
      <main className="page-center">
        <div className="card narrow signin">
          <div className="brand large" aria-hidden="true">Cairn</div>
          <h1>This set-up link cannot be used</h1>
          <p className="error" role="alert">{why}</p>
          <p className="hint">
            An administrator can also be created from a script: <code>cairn admin site-admin</code>.
          </p>
          <Link className="btn" to="/login">Go to sign-in</Link>
        </div>
      </main>
    );
  }
  if (check.isPending) {
    return (
      <main className="page-center">
        <p className="muted" role="status">Checking the set-up link…</p>
      </main>
    );
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setup.mutate(
      { token, email, name: name.trim() || null, password },
      { onSuccess: () => navigate("/", { replace: true }) },
    );
  };

  return (
    <main className="page-center">
      <form className="card narrow signin" onSubmit={submit} aria-labelledby="setup-title">
        <div className="brand large" aria-hidden="true">Cairn</div>
        <h1 id="setup-title">Set up Cairn</h1>
        <p className="hint">
          Create the site administrator: the person who manages organisations, stores, clients and
          users. This link works once.
        </p>
        <label>
          Email
          <input type="email" autoComplete="username" required value={email}
            onChange={(e) => setEmail(e.target.value)} autoFocus />
        </label>
        <label>
          Name (optional)
          <input type="text" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="new-password" required minLength={10} value={password}
            onChange={(e) => setPassword(e.target.value)} aria-describedby="setup-password-hint" />
        </label>
        <p className="hint muted" id="setup-password-hint">At least 10 characters.</p>
        <label>
          Confirm password
          <input type="password" autoComplete="new-password" required value={confirm}
            onChange={(e) => setConfirm(e.target.value)} />
        </label>
        {mismatch && <p className="error" role="alert">The two passwords differ.</p>}
        {setup.error && <p className="error" role="alert">{setup.error.message}</p>}
        <button className="btn primary" type="submit" disabled={setup.isPending}>
          {setup.isPending ? "Creating…" : "Create administrator and sign in"}
        </button>
      </form>
    </main>
  );
}
