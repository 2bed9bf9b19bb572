import { useTitle } from '../../lib/useTitle';
import { useMemo, useState } from 'react';
import { listUsers, userAction } from '../../api/admin';
import type { AdminUser } from '../../api/types';
import { useAuth } from '../../auth/useAuth';
import { ErrorBox, Loading, Notice } from '../../components/ui';
import { formatDate } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

const PER_PAGE = 100;

export default function UsersPage() {
  useTitle('Users');
  const { user: me } = useAuth();
  const [page, setPage] = useState(1);
  const users = useAsync(() => listUsers(page, PER_PAGE), [page]);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [filter, setFilter] = useState('');

  const act = async (label: string, action: () => Promise<unknown>) => {
    setError(null);
    setMessage(null);
    try {
      await action();
      setMessage(label);
      users.reload();
    } catch (err) {
      setError(err);
    }
  };

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return (users.data?.users ?? []).filter((u) => !f || u.username.toLowerCase().includes(f));
  }, [users.data, filter]);

  const resetPassword = (u: AdminUser) => {
    const password = window.prompt(`New password for ${u.username}:`);
    if (password) void act(`Password of ${u.username} reset.`, () => userAction('reset-password', u.username, password));
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>
          Users {users.data && <span className="count">({users.data.total})</span>}
        </h1>
        <div className="search">
          <label htmlFor="user-filter" className="visually-hidden">
            Filter users
          </label>
          <input id="user-filter" type="search" placeholder="Filter by name" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
      </div>
      {message && <Notice>{message}</Notice>}
      <ErrorBox error={error ?? users.error} />
      {users.loading && !users.data ? (
        <Loading />
      ) : (
        <div className="table-wrap">
          <table className="users">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Since</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((u) => (
                <tr key={u.id || u.username}>
                  <td>
                    {u.username}
                    {u.username === me?.username && <span className="muted"> (you)</span>}
                  </td>
                  <td>{u.role}</td>
                  <td>{formatDate(u.created_at)}</td>
                  <td className="actions">
                    {u.role === 'admin' ? (
                      <button type="button" disabled={u.username === me?.username} onClick={() => act(`${u.username} is no longer an admin.`, () => userAction('demote', u.username))}>
                        Demote<span className="visually-hidden"> {u.username}</span>
                      </button>
                    ) : (
                      <button type="button" onClick={() => act(`${u.username} is now an admin.`, () => userAction('promote', u.username))}>
                        Promote<span className="visually-hidden"> {u.username}</span>
                      </button>
                    )}
                    <button type="button" onClick={() => resetPassword(u)}>
                      Reset password<span className="visually-hidden"> of {u.username}</span>
                    </button>
                    <button
                      type="button"
                      className="danger"
                      disabled={u.username === me?.username}
                      onClick={() => {
                        if (window.confirm(`Delete the account ${u.username}?`)) void act(`${u.username} deleted.`, () => userAction('delete', u.username));
                      }}
                    >
                      Delete<span className="visually-hidden"> {u.username}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {users.data && users.data.total > PER_PAGE && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {Math.ceil(users.data.total / PER_PAGE)}
          </span>
          <button type="button" disabled={page * PER_PAGE >= users.data.total} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
