import { useTitle } from '../lib/useTitle';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { changePassword } from '../api/auth';
import { useAuth } from '../auth/useAuth';
import { ErrorBox, Notice } from '../components/ui';

export default function AccountPage() {
  useTitle('Account');
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setDone(false);
    try {
      await changePassword(current, next);
      setDone(true);
      setCurrent('');
      setNext('');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="page narrow">
      <h1>Your account</h1>
      <p>
        Signed in as <strong>{user?.username}</strong> ({user?.role}).
      </p>
      <form className="card form" onSubmit={submit} aria-labelledby="pw-h">
        <h2 id="pw-h">Change password</h2>
        <input type="text" name="username" autoComplete="username" value={user?.username ?? ''} readOnly hidden />
        <label htmlFor="pw-current">Current password</label>
        <input id="pw-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        <label htmlFor="pw-new">New password</label>
        <input id="pw-new" type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
        <ErrorBox error={error} />
        {done && <Notice>Password changed.</Notice>}
        <button type="submit" className="primary">
          Change password
        </button>
      </form>
      <div className="actions">
        <button
          type="button"
          onClick={async () => {
            await logout(false);
            navigate('/login');
          }}
        >
          Log out
        </button>
        <button
          type="button"
          onClick={async () => {
            await logout(true);
            navigate('/login');
          }}
        >
          Log out everywhere
        </button>
      </div>
    </section>
  );
}
