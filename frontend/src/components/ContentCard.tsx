import { Link } from 'react-router';
import type { ContentItem, ProgressEntry } from '../api/types';
import { describeDuration, formatDuration, watchedPercent } from '../lib/format';
import { Poster, ProgressBar } from './ui';

export function ContentCard({ item, progress }: { item: ContentItem; progress?: ProgressEntry }) {
  const percent = watchedPercent(progress?.position, progress?.duration ?? item.duration);
  return (
    <li className="content-card">
      <Link to={`/content/${encodeURIComponent(item.id)}`} className="content-link">
        <div className="poster-wrap">
          <Poster src={item.thumbnail} alt="" />
          <span className="duration" aria-label={describeDuration(item.duration)}>
            {formatDuration(item.duration)}
          </span>
        </div>
        <span className="content-title">{item.title}</span>
      </Link>
      {percent !== null && (
        <ProgressBar value={percent} label={`${Math.round(percent)}% watched of ${item.title}`} className="watched" />
      )}
    </li>
  );
}
