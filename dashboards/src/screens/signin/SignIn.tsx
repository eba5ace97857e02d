// Sign-in: email + password against POST /api/v1/auth/login (the server sets the session
// cookie), and "Sign in with <provider>" when single sign-on is configured. The password form
// is hidden when password sign-in is turned off.
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { useLogin, useMe } from "../../api/session";
import { useSignInOptions } from "../../api/signin";

export function SignIn() {
  const me = useMe();
  const login = useLogin();
  const options = useSignInOptions();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const next = safeNext(params.get("next"));

  if (me.data) return <Navigate to={next} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ email, password }, { onSuccess: () => navigate(next, { replace: true }) });
  };

  const sso = options.data?.sso;
  const passwordOn = options.data?.password ?? true;
  const ssoLink = sso && (
    <a className={passwordOn ? "btn sso" : "btn primary sso"} href={sso.start}>Sign in with {sso.name}</a>
  );
  if (!passwordOn) {
    return (
      <div className="page-center">
        <main className="card narrow signin" aria-labelledby="signin-title">
          <div className="brand large" aria-hidden="true">Cairn</div>
          <h1 id="signin-title">Sign in</h1>
          {ssoLink}
        </main>
      </div>
    );
  }

  return (
    <div className="page-center">
      <form className="card narrow signin" onSubmit={submit} aria-label="Sign in">
        <div className="brand large">Cairn</div>
        <h1>Sign in</h1>
        {ssoLink && (
          <>
            {ssoLink}
            <p className="hint muted or">or with your email and password</p>
          </>
        )}
        <label>
          Email
          <input type="email" autoComplete="username" required value={email}
            onChange={(e) => setEmail(e.target.value)} autoFocus />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </label>
        {login.error && <p className="error" role="alert">{login.error.message}</p>}
        <button className="btn primary" type="submit" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}

/** Only same-app paths are followed after sign-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
