import { useTitle } from '../../lib/useTitle';
import { useCallback, useEffect, useReducer, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router';
import * as tus from 'tus-js-client';
import { getToken } from '../../api/client';
import { ProgressBar, StatusBadge } from '../../components/ui';
import { formatBytes, formatDate } from '../../lib/format';
import { describeUploadError } from '../../lib/tusErrors';
import { fileKey, summarise, uploadPercent, uploadReducer, type UploadEntry } from '../../lib/uploadQueue';

const CHUNK_SIZE = 16 * 1024 * 1024;

function uploadEndpoint(): string {
  return `${window.location.origin}/uploads/`;
}

type PreviousUpload = Awaited<ReturnType<tus.Upload['findPreviousUploads']>>[number];

export default function UploadPage() {
  const [entries, dispatch] = useReducer(uploadReducer, []);
  const files = useRef(new Map<string, File>());
  const uploads = useRef(new Map<string, tus.Upload>());
  const [dragging, setDragging] = useState(false);
  const [interrupted, setInterrupted] = useState<PreviousUpload[]>([]);
  const inputRef = useRef<HTMLInputElement>(null);

  const loadInterrupted = useCallback(() => {
    tus.defaultOptions.urlStorage
      .findAllUploads()
      .then(setInterrupted)
      .catch(() => setInterrupted([]));
  }, []);

  useEffect(() => {
    loadInterrupted();
  }, [loadInterrupted]);

  const summary = summarise(entries);
  useTitle(
    summary.active && summary.bytesTotal
      ? `${Math.floor((summary.bytesSent / summary.bytesTotal) * 100)}% uploading`
      : 'Upload',
  );

  // Warn before leaving while bytes are moving (they would resume later, but only if the same file is picked).
  useEffect(() => {
    if (!summary.active) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [summary.active]);

  // Stop transfers when leaving the page; they resume from the server's offset next time.
  useEffect(() => {
    const map = uploads.current;
    return () => {
      map.forEach((upload) => void upload.abort());
    };
  }, []);

  const addFiles = (list: FileList | File[]) => {
    const picked = Array.from(list);
    if (!picked.length) return;
    const added = picked.map((file) => {
      const key = fileKey(file);
      files.current.set(key, file);
      return { key, fileName: file.name, size: file.size };
    });
    dispatch({ type: 'add', entries: added });
    // A file picked again after a reload gets back the title and description it was sent with.
    picked.forEach((file) => {
      const previous = interrupted.find((p) => p.metadata.filename === file.name && p.size === file.size);
      if (previous) {
        dispatch({
          type: 'edit',
          key: fileKey(file),
          title: previous.metadata.title || undefined,
          description: previous.metadata.description || undefined,
        });
      }
    });
  };

  const start = (entry: UploadEntry) => {
    const file = files.current.get(entry.key);
    if (!file) return;
    const existing = uploads.current.get(entry.key);
    if (existing) {
      dispatch({ type: 'start', key: entry.key });
      existing.start();
      return;
    }
    const token = getToken() ?? '';
    const metadata: Record<string, string> = {
      filename: file.name,
      filetype: file.type || 'application/octet-stream',
      title: entry.title.trim() || file.name,
    };
    if (entry.description.trim()) metadata.description = entry.description.trim();
    const upload = new tus.Upload(file, {
      endpoint: uploadEndpoint(),
      chunkSize: CHUNK_SIZE,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      metadata,
      headers: { Authorization: `Bearer ${token}` },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => dispatch({ type: 'progress', key: entry.key, bytesSent: sent, bytesTotal: total }),
      onUploadUrlAvailable: () => {
        if (upload.url) dispatch({ type: 'url', key: entry.key, uploadUrl: upload.url });
      },
      onSuccess: () => {
        dispatch({ type: 'success', key: entry.key });
        uploads.current.delete(entry.key);
        loadInterrupted();
      },
      onError: (error) => {
        dispatch({ type: 'error', key: entry.key, message: describeUploadError(error as tus.DetailedError) });
      },
      onShouldRetry: (error, attempt) => {
        const status = error.originalResponse?.getStatus() ?? 0;
        const retry = status === 0 || status === 409 || status === 423 || status >= 500;
        if (retry) {
          dispatch({
            type: 'retrying',
            key: entry.key,
            message: `${describeUploadError(error)} Trying again (${attempt + 1})…`,
          });
        }
        return retry;
      },
    });
    uploads.current.set(entry.key, upload);
    dispatch({ type: 'start', key: entry.key });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
          dispatch({ type: 'start', key: entry.key, resumed: true });
        }
        upload.start();
      })
      .catch(() => upload.start());
  };

  const pause = (entry: UploadEntry) => {
    const upload = uploads.current.get(entry.key);
    if (!upload) return;
    void upload.abort();
    dispatch({ type: 'pause', key: entry.key });
  };

  const remove = (entry: UploadEntry) => {
    const upload = uploads.current.get(entry.key);
    if (upload) void upload.abort();
    uploads.current.delete(entry.key);
    files.current.delete(entry.key);
    dispatch({ type: 'remove', key: entry.key });
  };

  const forget = async (previous: PreviousUpload) => {
    try {
      if (previous.uploadUrl) {
        await tus.Upload.terminate(previous.uploadUrl, { headers: { Authorization: `Bearer ${getToken() ?? ''}` } });
      }
    } catch {
      // already gone on the server
    }
    await tus.defaultOptions.urlStorage.removeUpload(previous.urlStorageKey);
    loadInterrupted();
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  };

  const startAll = () => entries.filter((e) => e.status === 'ready' || e.status === 'paused' || e.status === 'error').forEach(start);

  const activeKeys = new Set(entries.map((e) => e.fileName));
  const pendingInterrupted = interrupted.filter((p) => !activeKeys.has(p.metadata.filename ?? ''));

  return (
    <section className="page">
      <div className="page-head">
        <h1>Upload videos</h1>
        <Link className="button" to="/admin/content">
          Processing queue
        </Link>
      </div>
      <div
        className={`dropzone ${dragging ? 'dragging' : ''}`}
        onDragEnter={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(e) => {
          if (e.currentTarget === e.target) setDragging(false);
        }}
        onDrop={onDrop}
      >
        <p>Drop video files here, or</p>
        <label className="button primary" htmlFor="upload-files">
          Choose files
        </label>
        <input
          ref={inputRef}
          id="upload-files"
          className="visually-hidden-input"
          type="file"
          name="files"
          multiple
          accept="video/*,.mkv,.mov,.avi,.webm,.mp4,.m4v,.ts"
          onChange={(e) => {
            if (e.target.files) addFiles(e.target.files);
            e.target.value = '';
          }}
        />
        <p className="hint">Any format ffmpeg reads. Large files upload in pieces and continue after a lost connection or a reload.</p>
      </div>

      {pendingInterrupted.length > 0 && (
        <section className="card" aria-labelledby="interrupted-h">
          <h2 id="interrupted-h">Unfinished uploads</h2>
          <p className="hint">Choose the same file again to continue where it stopped.</p>
          <ul className="list">
            {pendingInterrupted.map((p) => (
              <li key={p.urlStorageKey} className="list-row">
                <span>
                  {p.metadata.title || p.metadata.filename || 'Untitled'} <span className="muted">
                    {formatBytes(p.size)} · started {formatDate(p.creationTime)}
                  </span>
                </span>
                <span className="actions">
                  <button type="button" onClick={() => inputRef.current?.click()}>
                    Choose file
                  </button>
                  <button type="button" className="link-button" onClick={() => void forget(p)}>
                    Discard
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      {entries.length > 0 && (
        <section aria-labelledby="queue-h">
          <div className="page-head">
            <h2 id="queue-h">
              Files <span className="muted">({summary.done} of {summary.total} done)</span>
            </h2>
            <div className="actions">
              <button type="button" className="primary" onClick={startAll} disabled={!entries.some((e) => e.status !== 'done' && e.status !== 'uploading')}>
                Upload all
              </button>
              <button type="button" onClick={() => dispatch({ type: 'clearDone' })} disabled={!summary.done}>
                Clear finished
              </button>
            </div>
          </div>
          {summary.bytesTotal > 0 && (
            <ProgressBar value={(summary.bytesSent / summary.bytesTotal) * 100} label="All uploads" className="total-progress" />
          )}
          <ul className="upload-list">
            {entries.map((entry) => (
              <UploadRow
                key={entry.key}
                entry={entry}
                onEdit={(title, description) => dispatch({ type: 'edit', key: entry.key, title, description })}
                onStart={() => start(entry)}
                onPause={() => pause(entry)}
                onRemove={() => remove(entry)}
              />
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

interface UploadRowProps {
  entry: UploadEntry;
  onEdit: (title?: string, description?: string) => void;
  onStart: () => void;
  onPause: () => void;
  onRemove: () => void;
}

function UploadRow({ entry, onEdit, onStart, onPause, onRemove }: UploadRowProps) {
  const percent = uploadPercent(entry);
  const editable = entry.status === 'ready';
  const idBase = `up-${entry.key.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <li className="card upload-row" data-status={entry.status}>
      <div className="upload-head">
        <strong className="file-name">{entry.fileName}</strong>
        <span className="muted">{formatBytes(entry.size)}</span>
        <StatusBadge status={entry.status === 'ready' ? 'waiting' : entry.status} />
        {entry.resumed && <span className="badge">resumed</span>}
      </div>
      {editable ? (
        <div className="upload-fields">
          <label htmlFor={`${idBase}-title`}>Title</label>
          <input id={`${idBase}-title`} name="title" value={entry.title} onChange={(e) => onEdit(e.target.value)} />
          <label htmlFor={`${idBase}-desc`}>Description</label>
          <textarea id={`${idBase}-desc`} name="description" rows={2} value={entry.description} onChange={(e) => onEdit(undefined, e.target.value)} />
        </div>
      ) : (
        <p className="upload-title">{entry.title}</p>
      )}
      <ProgressBar value={percent} label={`Upload of ${entry.fileName}`} />
      <p className="upload-status" aria-live="polite">
        {entry.status === 'done'
          ? 'Uploaded. Processing starts now.'
          : `${percent}% · ${formatBytes(entry.bytesSent)} of ${formatBytes(entry.bytesTotal)}`}
      </p>
      {entry.notice && (
        <p className="notice" role="status">
          {entry.notice}
        </p>
      )}
      {entry.error && (
        <p className="error" role="alert">
          {entry.error}
        </p>
      )}
      <div className="actions">
        {entry.status === 'ready' && (
          <button type="button" className="primary" onClick={onStart}>
            Upload
          </button>
        )}
        {entry.status === 'uploading' && (
          <button type="button" onClick={onPause}>
            Pause
          </button>
        )}
        {(entry.status === 'paused' || entry.status === 'error') && (
          <button type="button" className="primary" onClick={onStart}>
            Resume
          </button>
        )}
        {entry.status === 'done' ? (
          <Link to="/admin/content">See processing</Link>
        ) : (
          entry.status !== 'uploading' && (
            <button type="button" className="link-button" onClick={onRemove}>
              Remove
            </button>
          )
        )}
      </div>
    </li>
  );
}
