import {
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
  type PointerEvent as ReactPointerEvent,
} from 'react';
import type { ContentItem, Rendition } from '../api/types';
import { formatDuration } from '../lib/format';
import { playerKeyAction } from '../lib/playerKeys';
import { cueAt, parsePreviewVtt, type PreviewCue } from '../lib/previewVtt';
import { pickRendition, preferredContainer, qualityLabel, qualityOptions } from '../lib/rendition';

let probedContainer: ReturnType<typeof preferredContainer> | null = null;
function browserContainer() {
  if (probedContainer === null) {
    const probe = document.createElement('video');
    probedContainer = preferredContainer((type) => probe.canPlayType(type));
  }
  return probedContainer;
}

export interface PlayerProps {
  item: ContentItem;
  /** Receives the page's one <video> element (and null when it goes away). */
  videoRef?: (video: HTMLVideoElement | null) => void;
  /** Where to start, in seconds, once the media is loaded. */
  startAt?: number;
  autoPlay?: boolean;
  /** The signed media links may have expired: the parent fetches the item again. */
  onMediaError?: () => void;
}

interface PendingRestore {
  time: number;
  play: boolean;
}

export function Player({ item, videoRef, startAt = 0, autoPlay = false, onMediaError }: PlayerProps) {
  const uid = useId();
  const wrapRef = useRef<HTMLDivElement>(null);
  const videoEl = useRef<HTMLVideoElement | null>(null);
  const [chosenHeight, setChosenHeight] = useState<number | null>(null);
  const [width, setWidth] = useState(() => (typeof window === 'undefined' ? 1280 : window.innerWidth));
  const [current, setCurrent] = useState(0);
  const [duration, setDuration] = useState<number>(item.duration ?? 0);
  const [cues, setCues] = useState<PreviewCue[]>([]);
  const [hover, setHover] = useState<{ time: number; x: number } | null>(null);
  const [mediaError, setMediaError] = useState<string | null>(null);
  const restore = useRef<PendingRestore | null>(startAt > 0 ? { time: startAt, play: autoPlay } : null);
  const lastErrorRetry = useRef(0);

  const container = useMemo(() => browserContainer(), []);
  const rendition: Rendition | null = useMemo(
    () =>
      pickRendition(item.renditions, {
        container,
        viewportWidth: width,
        devicePixelRatio: typeof window === 'undefined' ? 1 : window.devicePixelRatio,
        height: chosenHeight,
      }),
    [item.renditions, container, width, chosenHeight],
  );
  const qualities = useMemo(() => qualityOptions(item.renditions, container), [item.renditions, container]);

  // Automatic quality follows the player's size only when it grows a lot (fullscreen, rotation),
  // so the source does not change under the viewer for small resizes.
  useEffect(() => {
    const measure = () => {
      const w = document.fullscreenElement ? window.screen.width : (wrapRef.current?.clientWidth ?? window.innerWidth);
      setWidth((prev) => (w > prev * 1.3 ? w : prev));
    };
    measure();
    document.addEventListener('fullscreenchange', measure);
    window.addEventListener('orientationchange', measure);
    return () => {
      document.removeEventListener('fullscreenchange', measure);
      window.removeEventListener('orientationchange', measure);
    };
  }, []);

  const setVideo = useCallback(
    (el: HTMLVideoElement | null) => {
      videoEl.current = el;
      videoRef?.(el);
    },
    [videoRef],
  );

  // Before the source changes, remember where we were so the new one continues there.
  const src = rendition?.url ?? '';
  const prevSrc = useRef(src);
  if (prevSrc.current !== src) {
    const v = videoEl.current;
    if (v && prevSrc.current && v.currentTime > 0) restore.current = { time: v.currentTime, play: !v.paused };
    prevSrc.current = src;
  }

  useEffect(() => {
    setMediaError(null);
  }, [src]);

  // Seek-preview sprite map.
  const previewVtt = item.preview?.vtt ?? null;
  const previewSprite = item.preview?.sprite ?? null;
  useEffect(() => {
    if (!previewVtt) {
      setCues([]);
      return;
    }
    const controller = new AbortController();
    fetch(previewVtt, { signal: controller.signal })
      .then((res) => (res.ok ? res.text() : ''))
      .then((text) => {
        const parsed = parsePreviewVtt(text, new URL(previewVtt, window.location.href).toString());
        setCues(previewSprite ? parsed.map((c) => ({ ...c, url: previewSprite })) : parsed);
      })
      .catch(() => setCues([]));
    return () => controller.abort();
  }, [previewVtt, previewSprite]);

  const onLoadedMetadata = () => {
    const v = videoEl.current;
    if (!v) return;
    if (Number.isFinite(v.duration)) setDuration(v.duration);
    const pending = restore.current;
    restore.current = null;
    if (pending) {
      v.currentTime = pending.time;
      if (pending.play) v.play().catch(() => undefined);
    }
  };

  const onError = () => {
    const now = Date.now();
    if (onMediaError && now - lastErrorRetry.current > 30_000) {
      lastErrorRetry.current = now;
      const v = videoEl.current;
      if (v && v.currentTime > 0) restore.current = { time: v.currentTime, play: !v.paused };
      onMediaError();
      return;
    }
    setMediaError('This video could not be played. Try another quality or reload the page.');
  };

  const seekTo = (time: number) => {
    const v = videoEl.current;
    if (v && Number.isFinite(time)) v.currentTime = Math.max(0, Math.min(time, duration || time));
  };

  const onTimelinePointer = (event: ReactPointerEvent<HTMLInputElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    if (!rect.width || !duration) return;
    const ratio = Math.max(0, Math.min(1, (event.clientX - rect.left) / rect.width));
    setHover({ time: ratio * duration, x: ratio * rect.width });
  };

  const previewCue = hover && cues.length ? cueAt(cues, hover.time) : null;

  const onKeyDown = (event: ReactKeyboardEvent<HTMLDivElement>) => {
    const v = videoEl.current;
    if (!v || event.altKey || event.ctrlKey || event.metaKey) return;
    const action = playerKeyAction(event.key, (event.target as HTMLElement).tagName);
    if (!action) return;
    // The video element's own controls already handle space and arrows while it has focus.
    if (event.target === v && (event.key === ' ' || event.key.startsWith('Arrow'))) return;
    event.preventDefault();
    switch (action.kind) {
      case 'toggle':
        if (v.paused) v.play().catch(() => undefined);
        else v.pause();
        break;
      case 'seekBy':
        seekTo(v.currentTime + action.seconds);
        break;
      case 'mute':
        v.muted = !v.muted;
        break;
      case 'fullscreen':
        if (document.fullscreenElement) void document.exitFullscreen();
        else void wrapRef.current?.requestFullscreen?.();
        break;
      case 'captions': {
        const tracks = Array.from(v.textTracks);
        const showing = tracks.findIndex((t) => t.mode === 'showing');
        tracks.forEach((t) => {
          t.mode = 'disabled';
        });
        const next = showing + 1 < tracks.length ? tracks[showing + 1] : null;
        if (next) next.mode = 'showing';
        break;
      }
    }
  };

  if (!rendition) {
    return (
      <div className="player player-empty" role="status">
        {item.status === 'processing' ? 'This video is still being prepared.' : 'No playable version of this video.'}
        <video ref={setVideo} className="visually-hidden" aria-hidden="true" />
      </div>
    );
  }

  return (
    <div className="player" ref={wrapRef} onKeyDown={onKeyDown}>
      <video
        ref={setVideo}
        src={src}
        controls
        playsInline
        preload="metadata"
        // media may come from object storage on another origin: subtitle tracks load from there only in CORS mode
        crossOrigin="anonymous"
        poster={item.thumbnail ?? undefined}
        autoPlay={autoPlay && startAt === 0}
        onLoadedMetadata={onLoadedMetadata}
        onDurationChange={(e) => Number.isFinite(e.currentTarget.duration) && setDuration(e.currentTarget.duration)}
        onTimeUpdate={(e) => setCurrent(e.currentTarget.currentTime)}
        onSeeked={(e) => setCurrent(e.currentTarget.currentTime)}
        onError={onError}
        aria-label={`Video: ${item.title}`}
      >
        {item.subtitles.map((s) => (
          <track key={`${s.lang}-${s.url}`} kind="subtitles" src={s.url} srcLang={s.lang} label={s.label || s.lang} />
        ))}
      </video>
      {mediaError && (
        <p className="error" role="alert">
          {mediaError}
        </p>
      )}
      <div className="player-bar">
        <span className="visually-hidden">Keys: space or k play and pause, arrows or j and l seek, m mute, f full screen, c subtitles.</span>
        <div className="timeline" onPointerLeave={() => setHover(null)}>
          <label htmlFor={`${uid}-seek`} className="visually-hidden">
            Seek (with previews)
          </label>
          <input
            id={`${uid}-seek`}
            type="range"
            min={0}
            max={duration || 0}
            step={0.1}
            value={Math.min(current, duration || 0)}
            onChange={(e) => seekTo(Number(e.target.value))}
            onPointerMove={onTimelinePointer}
            onKeyUp={(e) => {
              const rect = e.currentTarget.getBoundingClientRect();
              const value = Number(e.currentTarget.value);
              if (duration && rect.width) setHover({ time: value, x: (value / duration) * rect.width });
            }}
            onBlur={() => setHover(null)}
            aria-valuetext={`${formatDuration(current)} of ${formatDuration(duration)}`}
            disabled={!duration}
          />
          {hover && (
            <div className="seek-preview" style={{ left: `${hover.x}px` }} aria-hidden="true">
              {previewCue && (
                <div
                  className="seek-thumb"
                  style={{
                    width: `${previewCue.w}px`,
                    height: `${previewCue.h}px`,
                    backgroundImage: `url("${previewCue.url}")`,
                    backgroundPosition: `-${previewCue.x}px -${previewCue.y}px`,
                  }}
                />
              )}
              <span>{formatDuration(hover.time)}</span>
            </div>
          )}
        </div>
        <span className="time" aria-hidden="true">
          {formatDuration(current)} / {formatDuration(duration)}
        </span>
        {qualities.length > 0 && (
          <>
            <label htmlFor={`${uid}-quality`} className="visually-hidden">
              Quality
            </label>
            <select
              id={`${uid}-quality`}
              className="quality"
              value={chosenHeight ?? 'auto'}
              onChange={(e) => setChosenHeight(e.target.value === 'auto' ? null : Number(e.target.value))}
            >
              <option value="auto">Auto ({qualityLabel(rendition.height)})</option>
              {qualities.map((q) => (
                <option key={q.height} value={q.height}>
                  {q.label}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
    </div>
  );
}
