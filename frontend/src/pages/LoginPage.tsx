import { useTitle } from '../lib/useTitle';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { safeNext } from '../components/RequireAuth';
import { useAuth } from '../auth/useAuth';
import { AuthForm } from './AuthForm';

export function LoginPage() {
  useTitle('Log in');
  const { user, login } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  if (user) return <Navigate to={next} replace />;
  return (
    <section className="page narrow">
      <h1>Log in</h1>
      <AuthForm
        mode="login"
        onSubmit={async (username, password) => {
          await login(username, password);
          navigate(next, { replace: true });
        }}
      />
      <p>
        New here? <Link to={`/signup${params.get('next') ? `?next=${encodeURIComponent(next)}` : ''}`}>Create an account</Link>
      </p>
    </section>
  );
}
