/**
 * The `series` of the stats function, in whichever of two shapes it comes:
 * an array of daily records `[{date, views, dau, ...}]`, or columns `{days|dates: [...], views: [...], ...}`.
 * Either way the result is a list of named numeric series over the same days.
 */

export interface NamedSeries {
  name: string;
  days: string[];
  values: number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DAY_KEYS = ['date', 'day', 'days', 'dates'];

export function normaliseSeries(series: unknown): NamedSeries[] {
  if (Array.isArray(series)) {
    const rows = series.filter(isRecord);
    if (!rows.length) return [];
    const days = rows.map((row, i) => String(row.date ?? row.day ?? i + 1));
    const names = new Set<string>();
    rows.forEach((row) =>
      Object.entries(row).forEach(([k, v]) => {
        if (!DAY_KEYS.includes(k) && typeof v === 'number') names.add(k);
      }),
    );
    return Array.from(names).map((name) => ({
      name,
      days,
      values: rows.map((row) => (typeof row[name] === 'number' ? (row[name] as number) : 0)),
    }));
  }
  if (isRecord(series)) {
    const dayList = series.days ?? series.dates ?? series.date;
    const days = Array.isArray(dayList) ? dayList.map(String) : null;
    const out: NamedSeries[] = [];
    for (const [name, value] of Object.entries(series)) {
      if (DAY_KEYS.includes(name)) continue;
      if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
        const values = value as number[];
        out.push({ name, days: days ?? values.map((_, i) => String(i + 1)), values });
      } else if (Array.isArray(value) && value.every(isRecord)) {
        // { views: [{date, value}] }
        const rows = value as Record<string, unknown>[];
        out.push({
          name,
          days: rows.map((r, i) => String(r.date ?? r.day ?? i + 1)),
          values: rows.map((r) => {
            const v = r.value ?? r.count ?? r[name];
            return typeof v === 'number' ? v : 0;
          }),
        });
      }
    }
    return out;
  }
  return [];
}

export function seriesLabel(name: string): string {
  const known: Record<string, string> = {
    views: 'Views per day',
    dau: 'Daily active users',
    active_users: 'Active users per day',
    mau: 'Monthly active users (rolling 30 days)',
    signups: 'New users per day',
    new_users: 'New users per day',
    users: 'Total users',
    total_users: 'Total users',
  };
  return known[name] ?? name.replace(/_/g, ' ');
}
