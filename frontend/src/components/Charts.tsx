import { useId } from 'react';
import { chartPoints, niceMax } from '../lib/chart';

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export interface LineChartProps {
  title: string;
  labels: string[];
  values: number[];
  height?: number;
}

/** A small responsive line/area chart in plain SVG, with a data table for screen readers. */
export function LineChart({ title, labels, values, height = 160 }: LineChartProps) {
  const id = useId();
  const width = 600;
  const pad = { top: 12, right: 12, bottom: 24, left: 40 };
  const max = niceMax(Math.max(0, ...values));
  const pts = chartPoints(values, { width, height, pad, max });
  const line = pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  const base = height - pad.bottom;
  const area = pts.length ? `${pts[0].x},${base} ${line} ${pts[pts.length - 1].x},${base}` : '';
  const last = values.length ? values[values.length - 1] : 0;
  return (
    <figure className="chart" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>
        {title} <span className="muted">(today: {last})</span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}, last ${values.length} days`} preserveAspectRatio="none">
        {[0, 0.5, 1].map((f) => {
          const y = pad.top + (base - pad.top) * (1 - f);
          return (
            <g key={f}>
              <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} className="grid" />
              <text x={pad.left - 6} y={y + 4} textAnchor="end" className="axis">
                {formatTick(max * f)}
              </text>
            </g>
          );
        })}
        {area && <polygon points={area} className="area" />}
        {line && <polyline points={line} className="line" fill="none" />}
        {labels.length > 0 && (
          <>
            <text x={pad.left} y={height - 6} className="axis">
              {labels[0]}
            </text>
            <text x={width - pad.right} y={height - 6} textAnchor="end" className="axis">
              {labels[labels.length - 1]}
            </text>
          </>
        )}
      </svg>
      <details className="chart-data">
        <summary>Data</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {values.map((v, i) => (
              <tr key={`${labels[i] ?? i}`}>
                <td>{labels[i] ?? i + 1}</td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export interface BarListProps {
  title: string;
  rows: { label: string; value: number }[];
}

/** Horizontal bars (views per video). */
export function BarList({ title, rows }: BarListProps) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure className="bar-list">
      <figcaption>{title}</figcaption>
      {rows.length === 0 ? (
        <p className="muted">No data yet.</p>
      ) : (
        <ol>
          {rows.map((r, i) => (
            <li key={`${r.label}-${i}`}>
              <span className="bar-label">{r.label}</span>
              <span className="bar-track" aria-hidden="true">
                <span className="bar-fill" style={{ width: `${(r.value / max) * 100}%` }} />
              </span>
              <span className="bar-value">{r.value}</span>
            </li>
          ))}
        </ol>
      )}
    </figure>
  );
}
