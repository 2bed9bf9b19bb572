import { useTitle } from '../../lib/useTitle';
import { Link } from 'react-router';
import { getStats } from '../../api/admin';
import { BarList, LineChart } from '../../components/Charts';
import { ErrorBox, Loading } from '../../components/ui';
import { normaliseSeries, seriesLabel } from '../../lib/series';
import { formatDate } from '../../lib/format';
import { useAsync, useInterval } from '../../lib/useAsync';

export default function DashboardPage() {
  useTitle('Dashboard');
  const stats = useAsync((signal) => getStats(signal), []);
  useInterval(stats.reload, 30000);
  if (stats.loading && !stats.data) return <Loading />;
  if (!stats.data) return <ErrorBox error={stats.error} />;
  const s = stats.data;
  const series = normaliseSeries(s.series);
  const down = (s.services ?? []).filter((svc) => svc.status !== 'up');
  return (
    <section className="page">
      <div className="page-head">
        <h1>Dashboard</h1>
        <button type="button" onClick={stats.reload}>
          Refresh
        </button>
      </div>
      {down.length > 0 && (
        <div className="error" role="alert">
          Down: {down.map((d) => d.name).join(', ')}. <Link to="/admin/status">Status</Link>
        </div>
      )}
      <dl className="stat-cards">
        <Stat label="Total views" value={s.total_views} id="total-views" />
        <Stat label="Daily active users" value={s.dau} id="dau" />
        <Stat label="Monthly active users" value={s.mau} id="mau" />
        <Stat label="Total users" value={s.total_users} id="total-users" />
      </dl>
      <div className="charts">
        {series.map((ser) => (
          <LineChart key={ser.name} title={seriesLabel(ser.name)} labels={ser.days} values={ser.values} />
        ))}
        {series.length === 0 && <p className="muted">No daily history yet.</p>}
      </div>
      <BarList
        title="Views per video"
        rows={(s.views_per_video ?? []).map((v) => ({ label: v.title || v.content_id, value: v.views }))}
      />
      {s.generated_at !== undefined && <p className="muted">Updated {formatDate(s.generated_at)}</p>}
    </section>
  );
}

function Stat({ label, value, id }: { label: string; value: number; id: string }) {
  return (
    <div className="stat-card" data-stat={id}>
      <dt>{label}</dt>
      <dd>{typeof value === 'number' ? value.toLocaleString() : '–'}</dd>
    </div>
  );
}
