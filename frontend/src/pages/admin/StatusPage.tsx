import { useTitle } from '../../lib/useTitle';
import { getStats } from '../../api/admin';
import { ErrorBox, Loading, StatusBadge } from '../../components/ui';
import { formatDate, formatPercent } from '../../lib/format';
import { useAsync, useInterval } from '../../lib/useAsync';

export default function StatusPage() {
  useTitle('Service status');
  const stats = useAsync((signal) => getStats(signal), []);
  useInterval(stats.reload, 15000);
  if (stats.loading && !stats.data) return <Loading />;
  if (!stats.data) return <ErrorBox error={stats.error} />;
  const services = [...(stats.data.services ?? [])].sort(
    (a, b) => Number(a.status === 'up') - Number(b.status === 'up') || a.name.localeCompare(b.name),
  );
  const up = services.filter((s) => s.status === 'up').length;
  const hasWindows = services.some((s) => s.uptime_24h !== undefined || s.uptime_30d !== undefined);
  return (
    <section className="page">
      <div className="page-head">
        <h1>Service status</h1>
        <button type="button" onClick={stats.reload}>
          Refresh
        </button>
      </div>
      <p className={up === services.length ? 'notice' : 'error'} role="status">
        {services.length === 0 ? 'No health checks recorded yet.' : `${up} of ${services.length} services up.`}
      </p>
      <div className="table-wrap">
        <table className="status-table">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">State</th>
              <th scope="col">Uptime</th>
              {hasWindows && <th scope="col">24 h</th>}
              {hasWindows && <th scope="col">30 days</th>}
              <th scope="col">Since</th>
              <th scope="col">Last check</th>
            </tr>
          </thead>
          <tbody>
            {services.map((svc) => (
              <tr key={svc.name} data-service={svc.name} data-status={svc.status}>
                <th scope="row">{svc.name}</th>
                <td>
                  <StatusBadge status={svc.status} />
                  {svc.detail && <span className="muted"> {svc.detail}</span>}
                </td>
                <td>{formatPercent(svc.uptime_percent, 2)}</td>
                {hasWindows && <td>{formatPercent(svc.uptime_24h, 2)}</td>}
                {hasWindows && <td>{formatPercent(svc.uptime_30d, 2)}</td>}
                <td>{formatDate(svc.last_change)}</td>
                <td>{formatDate(svc.last_check)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
