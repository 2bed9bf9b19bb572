import { useTitle } from '../../lib/useTitle';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { deleteContent, getContent, reprocessContent, updateContent, uploadSubtitles, uploadThumbnail } from '../../api/content';
import { ErrorBox, Loading, Notice, Poster, StatusBadge } from '../../components/ui';
import { languageName } from '../../lib/languages';
import { useAsync } from '../../lib/useAsync';

export function subtitleFormat(fileName: string, text: string): 'srt' | 'vtt' {
  if (/\.vtt$/i.test(fileName) || text.trimStart().startsWith('WEBVTT')) return 'vtt';
  return 'srt';
}

export default function ContentEditPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const item = useAsync((signal) => getContent(id, signal), [id]);
  useTitle(item.data ? `Edit ${item.data.title}` : 'Edit');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const [subLang, setSubLang] = useState('en');
  const [subLabel, setSubLabel] = useState('');
  const [subFile, setSubFile] = useState<File | null>(null);
  const [thumbFile, setThumbFile] = useState<File | null>(null);
  // Bumped after an upload so the file pickers empty themselves.
  const [pickerKey, setPickerKey] = useState(0);

  useEffect(() => {
    if (item.data) {
      setTitle(item.data.title);
      setDescription(item.data.description);
    }
  }, [item.data]);

  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      await action();
      setMessage(done);
      item.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (item.loading && !item.data) return <Loading />;
  if (!item.data) return <ErrorBox error={item.error ?? new Error('Not found.')} />;
  const content = item.data;

  const saveDetails = (event: FormEvent) => {
    event.preventDefault();
    void run(() => updateContent(id, { title: title.trim(), description }), 'Saved.');
  };

  const saveSubtitle = (event: FormEvent) => {
    event.preventDefault();
    const file = subFile;
    if (!file) return;
    void run(async () => {
      const text = await file.text();
      await uploadSubtitles(id, { lang: subLang.trim(), label: subLabel.trim() || languageName(subLang.trim()), format: subtitleFormat(file.name, text), text });
      setSubFile(null);
      setPickerKey((k) => k + 1);
    }, 'Subtitles added.');
  };

  const saveThumb = (event: FormEvent) => {
    event.preventDefault();
    const file = thumbFile;
    if (!file) return;
    void run(
      () =>
        uploadThumbnail(id, file).then(() => {
          setThumbFile(null);
          setPickerKey((k) => k + 1);
        }),
      'Thumbnail replaced.',
    );
  };

  return (
    <section className="page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/admin/content">Processing</Link>
      </nav>
      <div className="page-head">
        <h1>Edit “{content.title}”</h1>
        <StatusBadge status={content.status} />
      </div>
      {message && <Notice>{message}</Notice>}
      <ErrorBox error={error} />
      <div className="two-col">
        <form className="card form" onSubmit={saveDetails} aria-labelledby="details-h">
          <h2 id="details-h">Details</h2>
          <label htmlFor="edit-title">Title</label>
          <input id="edit-title" name="title" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
          <label htmlFor="edit-description">Description</label>
          <textarea id="edit-description" name="description" rows={5} maxLength={5000} value={description} onChange={(e) => setDescription(e.target.value)} />
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
        </form>
        <div className="stack">
          <form className="card form" onSubmit={saveThumb} aria-labelledby="thumb-h">
            <h2 id="thumb-h">Thumbnail</h2>
            <Poster src={content.thumbnail} alt={`Current thumbnail of ${content.title}`} className="edit-thumb" />
            <label htmlFor="thumb-file">New image</label>
            <input key={`thumb-${pickerKey}`} id="thumb-file" type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => setThumbFile(e.target.files?.[0] ?? null)} />
            <button type="submit" disabled={busy || !thumbFile}>
              Upload thumbnail
            </button>
          </form>
          <form className="card form" onSubmit={saveSubtitle} aria-labelledby="subs-h">
            <h2 id="subs-h">Subtitles</h2>
            {content.subtitles.length ? (
              <ul className="chips">
                {content.subtitles.map((s) => (
                  <li key={s.url} className="chip">
                    {s.label || languageName(s.lang)} ({s.lang})
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">None yet.</p>
            )}
            <label htmlFor="sub-lang">Language code</label>
            <input id="sub-lang" required pattern="[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?" value={subLang} onChange={(e) => setSubLang(e.target.value)} />
            <label htmlFor="sub-label">Label</label>
            <input id="sub-label" placeholder={languageName(subLang || 'en')} value={subLabel} onChange={(e) => setSubLabel(e.target.value)} />
            <label htmlFor="sub-file">File (.srt or .vtt)</label>
            <input key={`sub-${pickerKey}`} id="sub-file" type="file" accept=".srt,.vtt,text/vtt,application/x-subrip" onChange={(e) => setSubFile(e.target.files?.[0] ?? null)} />
            <button type="submit" disabled={busy || !subFile}>
              Add subtitles
            </button>
          </form>
        </div>
      </div>
      <div className="actions">
        <Link className="button" to={`/content/${encodeURIComponent(id)}`}>
          View as a viewer
        </Link>
        <button type="button" disabled={busy} onClick={() => run(() => reprocessContent(id), 'Processing again.')}>
          Process again
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={async () => {
            if (!window.confirm(`Delete “${content.title}” and all its files?`)) return;
            try {
              await deleteContent(id);
              navigate('/admin/content');
            } catch (err) {
              setError(err);
            }
          }}
        >
          Delete
        </button>
      </div>
    </section>
  );
}
