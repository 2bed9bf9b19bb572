import { useTitle } from '../lib/useTitle';
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { getContent, reportProgress } from '../api/content';
import { Player, prepareStream } from '../components/Player';
import { ErrorBox, Loading } from '../components/ui';
import { ProgressReporter } from '../lib/progressReporter';
import { useAsync } from '../lib/useAsync';

export default function WatchPage() {
  const { id = '' } = useParams();
  return <SoloPlayer key={id} id={id} />;
}

function SoloPlayer({ id }: { id: string }) {
  const [params] = useSearchParams();
  const startAt = Math.max(0, Number(params.get('t')) || 0);
  const item = useAsync((signal) => getContent(id, signal).then(prepareStream), [id]);
  useTitle(item.data ? `Watching ${item.data.title}` : 'Watch');
  // The video element attaches to the reporter as soon as it exists.
  const [reporter] = useState(
    () => new ProgressReporter((report, keepalive) => reportProgress(id, report, keepalive).then(() => undefined)),
  );

  useEffect(() => {
    const onHide = () => reporter.flush(true);
    window.addEventListener('pagehide', onHide);
    return () => {
      window.removeEventListener('pagehide', onHide);
      reporter.flush(false);
    };
  }, [reporter]);

  const videoRef = useCallback((video: HTMLVideoElement | null) => reporter.attach(video), [reporter]);

  if (item.loading && !item.data) return <Loading />;
  if (!item.data) return <ErrorBox error={item.error ?? new Error('Not found.')} />;
  const content = item.data;
  return (
    <section className="page watch-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Library</Link> › <Link to={`/content/${encodeURIComponent(content.id)}`}>{content.title}</Link>
      </nav>
      <h1 className="watch-title">{content.title}</h1>
      <Player item={content} videoRef={videoRef} startAt={startAt} autoPlay onMediaError={item.reload} />
    </section>
  );
}
