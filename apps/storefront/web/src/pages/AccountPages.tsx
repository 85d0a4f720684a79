import { useState, type FormEvent } from 'react';
import { Link, navigate, useLocation } from '../../../../shared/web/router.tsx';
import { ErrorNotice, FieldMessage, LoginForm, useAction } from '../../../../shared/web/ui.tsx';

const signupFields = ['name', 'email', 'password'];
import { api, session } from '../api.ts';

/** Where to go after signing in: the `next` query parameter when it is a path of this app. */
function useNext(): string {
  const next = useLocation().query.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const next = useNext();
  return (
    <LoginForm
      session={session}
      title="Sign in"
      hint={
        <p className="muted small">
          New here? <Link to={`/signup?next=${encodeURIComponent(next)}`}>Create an account</Link>
        </p>
      }
      onDone={() => navigate(next, { replace: true })}
    />
  );
}

export function SignupPage() {
  const next = useNext();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signup = useAction(async () => {
    await api.register({ name: name.trim(), email: email.trim(), password });
    await session.login(email.trim(), password);
    navigate(next, { replace: true });
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signup.run();
  };
  return (
    <form className="card form narrow" onSubmit={submit} aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      <p className="muted small">
        Already have one? <Link to={`/login?next=${encodeURIComponent(next)}`}>Sign in</Link>
      </p>
      <label>
        Name
        <input autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        <FieldMessage error={signup.error} field="name" />
      </label>
      <label>
        Email
        <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <FieldMessage error={signup.error} field="email" />
      </label>
      <label>
        Password
        <input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} />
        <span className="muted small">At least 8 characters.</span>
        <FieldMessage error={signup.error} field="password" />
      </label>
      <ErrorNotice error={signup.error} inline={signupFields} />
      <button type="submit" className="button-primary" disabled={signup.busy}>
        {signup.busy ? 'Creating account…' : 'Create account'}
      </button>
    </form>
  );
}
