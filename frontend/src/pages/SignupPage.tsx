import { useTitle } from '../lib/useTitle';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { safeNext } from '../components/RequireAuth';
import { useAuth } from '../auth/useAuth';
import { AuthForm } from './AuthForm';

export function SignupPage() {
  useTitle('Sign up');
  const { user, signup } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  if (user) return <Navigate to={next} replace />;
  return (
    <section className="page narrow">
      <h1>Create an account</h1>
      <AuthForm
        mode="signup"
        onSubmit={async (username, password) => {
          await signup(username, password);
          navigate(next, { replace: true });
        }}
      />
      <p>
        Already have an account? <Link to={`/login${params.get('next') ? `?next=${encodeURIComponent(next)}` : ''}`}>Log in</Link>
      </p>
    </section>
  );
}
