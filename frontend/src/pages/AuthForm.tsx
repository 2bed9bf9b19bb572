import { useId, useState, type FormEvent } from 'react';
import { ApiError, describeError, formatWait } from '../api/client';
import { useCountdown } from '../lib/useCountdown';

interface AuthFormProps {
  mode: 'login' | 'signup';
  onSubmit: (username: string, password: string) => Promise<void>;
}

/** The login and signup form: inputs named `username` and `password` and a submit button. */
export function AuthForm({ mode, onSubmit }: AuthFormProps) {
  const id = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const wait = useCountdown(blockedUntil);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy || wait > 0) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(username.trim(), password);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.status === 429) {
        setBlockedUntil(Date.now() + (err.retryAfter ?? 30) * 1000);
      }
      setBusy(false);
    }
  };

  const rateLimited = error instanceof ApiError && error.status === 429;
  const message = error
    ? rateLimited && wait > 0
      ? `Too many tries. Please wait ${formatWait(wait)} and try again.`
      : rateLimited
        ? 'You can try again now.'
        : describeError(error, mode)
    : null;

  return (
    <form className="card form auth-form" onSubmit={submit} noValidate={false} aria-describedby={message ? `${id}-err` : undefined}>
      <label htmlFor={`${id}-user`}>Username</label>
      <input
        id={`${id}-user`}
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
        maxLength={64}
        value={username}
        onChange={(e) => setUsername(e.target.value)}
      />
      <label htmlFor={`${id}-pass`}>Password</label>
      <input
        id={`${id}-pass`}
        name="password"
        type="password"
        autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      {mode === 'signup' && <p className="hint">Passwords need at least 8 characters.</p>}
      {message && (
        <div id={`${id}-err`} className={rateLimited && wait === 0 ? 'notice' : 'error'} role="alert">
          {message}
        </div>
      )}
      <button type="submit" className="primary" disabled={busy || wait > 0}>
        {busy ? 'Please wait…' : mode === 'login' ? 'Log in' : 'Sign up'}
      </button>
    </form>
  );
}
