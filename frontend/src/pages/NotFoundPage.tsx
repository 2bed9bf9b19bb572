import { useTitle } from '../lib/useTitle';
import { Link } from 'react-router';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the library</Link>
      </p>
    </section>
  );
}
