import {
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
  type RefObject,
} from 'react';
import type Hls from 'hls.js';
import type { ContentItem } from '../api/types';
import { formatDuration } from '../lib/format';
import { reportControl } from '../lib/memberControl';
import { keyTargetOf, playerKeyAction, type PlayerKeyAction } from '../lib/playerKeys';
import { browserMedia, choosePlayback, type BrowserMedia } from '../lib/playback';
import { HlsQuality, ProgressiveQuality } from '../lib/quality';
import { preferredContainer } from '../lib/rendition';
import { fetchPlaylistEarly } from './player/earlyPlaylist';
import { attachHls, loadHls } from './player/hlsPlayer';
import { Icon } from './player/icons';
import { QualityMenu } from './player/QualityMenu';
import { SeekBar } from './player/SeekBar';

let probedContainer: ReturnType<typeof preferredContainer> | null = null;
function browserContainer() {
  if (probedContainer === null) {
    const probe = document.createElement('video');
    probedContainer = preferredContainer((type) => probe.canPlayType(type));
  }
  return probedContainer;
}

let probedMedia: BrowserMedia | null = null;
function mediaSupport(): BrowserMedia {
  if (probedMedia === null) probedMedia = browserMedia(window, document.createElement('video'));
  return probedMedia;
}

/** A page about to play something starts fetching what the player will need (hls.js, where it is used). */
export function preparePlayer(): void {
  if (typeof window !== 'undefined' && mediaSupport().mse) loadHls().catch(() => undefined);
}

/** A page that now knows what it will play fetches the stream's master playlist while the player mounts. */
export function prepareStream(item: ContentItem): ContentItem {
  const url = item.stream?.url;
  if (url && typeof window !== 'undefined' && choosePlayback(item.stream, mediaSupport()) === 'hls.js') fetchPlaylistEarly(url);
  return item;
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
  /** What goes full screen: a room passes its whole view, so the party stays in sight (default: the player). */
  fullscreenTarget?: RefObject<HTMLElement | null>;
  /** Shown over the picture (a room's notices). */
  children?: ReactNode;
}

interface PendingRestore {
  time: number;
  play: boolean;
}

const CAPTIONS_OFF = -1;
const PLAY_FAILED = 'This video could not be played. Try another quality or reload the page.';

/**
 * The page's one <video> with the app's own controls (no native ones): whatever drives it, the
 * element's media events are what a room follows, and the controls also report what they do at once
 * (`lib/memberControl`).
 */
export function Player({ item, videoRef, startAt = 0, autoPlay = false, onMediaError, fullscreenTarget, children }: PlayerProps) {
  const uid = useId();
  const wrapRef = useRef<HTMLDivElement>(null);
  const videoEl = useRef<HTMLVideoElement | null>(null);
  const [current, setCurrent] = useState(0);
  const [duration, setDuration] = useState<number>(item.duration ?? 0);
  const [paused, setPaused] = useState(true);
  const [muted, setMuted] = useState(false);
  const [volume, setVolume] = useState(1);
  const [captions, setCaptions] = useState(CAPTIONS_OFF);
  const lastCaptions = useRef(0);
  const [fullscreen, setFullscreen] = useState(false);
  const [mediaError, setMediaError] = useState<string | null>(null);
  const restore = useRef<PendingRestore | null>(startAt > 0 ? { time: startAt, play: autoPlay } : null);
  const lastErrorRetry = useRef(0);

  // Where the picture comes from: the adaptive stream (hls.js, or the browser's own HLS), else whole files.
  const streamUrl = item.stream?.url ?? null;
  const playback = choosePlayback(item.stream, mediaSupport());
  const hls = useRef<Hls | null>(null);
  const [hlsQuality] = useState(
    () =>
      new HlsQuality((index) => {
        if (hls.current) hls.current.nextLevel = index;
      }),
  );
  const [progressive] = useState(
    () =>
      new ProgressiveQuality({
        renditions: item.renditions,
        container: browserContainer(),
        devicePixelRatio: typeof window === 'undefined' ? 1 : window.devicePixelRatio,
        viewportWidth: typeof window === 'undefined' ? 1280 : window.innerWidth,
      }),
  );
  useEffect(() => progressive.setRenditions(item.renditions), [progressive, item.renditions]);
  const progressiveState = useSyncExternalStore(progressive.subscribe, progressive.getState);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const rendition = useMemo(() => progressive.rendition(), [progressive, progressiveState]);
  // native HLS chooses its rungs itself: no levels, so no menu
  const quality = playback === 'progressive' ? progressive : hlsQuality;

  const fullscreenElement = useCallback(
    () => fullscreenTarget?.current ?? wrapRef.current,
    [fullscreenTarget],
  );

  // Automatic quality looks again when the player grows a lot (full screen, rotation).
  useEffect(() => {
    const measure = () => {
      const w = document.fullscreenElement ? window.screen.width : (wrapRef.current?.clientWidth ?? window.innerWidth);
      progressive.setWidth(w);
      setFullscreen(document.fullscreenElement !== null && document.fullscreenElement === fullscreenElement());
    };
    measure();
    document.addEventListener('fullscreenchange', measure);
    window.addEventListener('orientationchange', measure);
    return () => {
      document.removeEventListener('fullscreenchange', measure);
      window.removeEventListener('orientationchange', measure);
    };
  }, [progressive, fullscreenElement]);

  const setVideo = useCallback(
    (el: HTMLVideoElement | null) => {
      videoEl.current = el;
      videoRef?.(el);
    },
    [videoRef],
  );

  // Before the source changes, remember where we were so the new one continues there.
  const src = playback === 'progressive' ? (rendition?.url ?? '') : (streamUrl ?? '');
  const prevSrc = useRef(src);
  if (prevSrc.current !== src) {
    const v = videoEl.current;
    if (v && prevSrc.current && v.currentTime > 0) restore.current = { time: v.currentTime, play: !v.paused };
    prevSrc.current = src;
  }

  useEffect(() => {
    setMediaError(null);
  }, [src]);

  const onLoadedMetadata = () => {
    const v = videoEl.current;
    if (!v) return;
    if (Number.isFinite(v.duration)) setDuration(v.duration);
    // a position set before the media loaded (a room's timeline) starts there without a seeked event
    setCurrent(v.currentTime);
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
    setMediaError(PLAY_FAILED);
  };

  const onErrorRef = useRef(onError);
  onErrorRef.current = onError;
  useEffect(() => {
    const video = videoEl.current;
    if (playback !== 'hls.js' || !video || !streamUrl) return;
    let gone = false;
    void attachHls(video, streamUrl, {
      quality: hlsQuality,
      onNetworkError: () => onErrorRef.current(),
      onFatalError: () => setMediaError(PLAY_FAILED),
    })
      .then((instance) => {
        if (gone) instance.destroy();
        else hls.current = instance;
      })
      .catch(() => setMediaError(PLAY_FAILED));
    return () => {
      gone = true;
      hls.current?.destroy();
      hls.current = null;
    };
  }, [playback, streamUrl, hlsQuality]);

  const seekTo = (time: number) => {
    const v = videoEl.current;
    if (!v || !Number.isFinite(time)) return;
    v.currentTime = Math.max(0, Math.min(time, duration || time));
    reportControl(v, 'seeking');
  };

  const togglePlay = () => {
    const v = videoEl.current;
    if (!v) return;
    if (v.paused) {
      v.play().catch(() => undefined);
      reportControl(v, 'play');
    } else {
      v.pause();
      reportControl(v, 'pause');
    }
  };

  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void fullscreenElement()?.requestFullscreen?.().catch(() => undefined);
  };

  const showCaptions = (index: number) => {
    const v = videoEl.current;
    if (!v) return;
    Array.from(v.textTracks).forEach((track, i) => {
      track.mode = i === index ? 'showing' : 'disabled';
    });
    if (index !== CAPTIONS_OFF) lastCaptions.current = index;
    setCaptions(index);
  };

  const setLevel = (value: number) => {
    const v = videoEl.current;
    if (!v) return;
    v.volume = value;
    v.muted = value === 0;
  };

  const run = (action: PlayerKeyAction) => {
    const v = videoEl.current;
    if (!v) return;
    switch (action.kind) {
      case 'toggle':
        togglePlay();
        break;
      case 'seekBy':
        seekTo(v.currentTime + action.seconds);
        break;
      case 'mute':
        v.muted = !v.muted;
        break;
      case 'fullscreen':
        toggleFullscreen();
        break;
      case 'captions':
        if (item.subtitles.length) showCaptions(captions === CAPTIONS_OFF ? lastCaptions.current : CAPTIONS_OFF);
        break;
    }
  };

  // The shortcuts work anywhere on the page but in a field (the chat) or where the key has its own job.
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const target = event.target instanceof HTMLElement ? event.target : null;
      const action = playerKeyAction(event, keyTargetOf(target));
      if (!action) return;
      event.preventDefault();
      // a held arrow keeps seeking; a held space does not flicker between play and pause
      if (!event.repeat || action.kind === 'seekBy') runRef.current(action);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  if (!src) {
    return (
      <div className="player player-empty" role="status">
        {item.status === 'processing' ? 'This video is still being prepared.' : 'No playable version of this video.'}
        <video ref={setVideo} className="visually-hidden" aria-hidden="true" />
      </div>
    );
  }

  const hasCaptions = item.subtitles.length > 0;
  return (
    <div className={fullscreen ? 'player player-fullscreen' : 'player'} ref={wrapRef}>
      <div className="player-stage">
        <video
          ref={setVideo}
          // hls.js feeds the element through Media Source Extensions: no src of its own then
          src={playback === 'hls.js' ? undefined : src}
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
          onLoadedData={(e) => setCurrent(e.currentTarget.currentTime)}
          onPlay={() => setPaused(false)}
          onPause={() => setPaused(true)}
          onVolumeChange={(e) => {
            setVolume(e.currentTarget.volume);
            setMuted(e.currentTarget.muted);
          }}
          onClick={togglePlay}
          onDoubleClick={toggleFullscreen}
          onError={onError}
          aria-label={`Video: ${item.title}`}
        >
          {item.subtitles.map((s) => (
            <track key={`${s.lang}-${s.url}`} kind="subtitles" src={s.url} srcLang={s.lang} label={s.label || s.lang} />
          ))}
        </video>
        {children}
      </div>
      {mediaError && (
        <p className="error" role="alert">
          {mediaError}
        </p>
      )}
      <div className="player-bar" role="group" aria-label="Player controls" aria-describedby={`${uid}-keys`}>
        <span id={`${uid}-keys`} className="visually-hidden">
          Keys: space or k play and pause, arrows or j and l seek, m mute, f full screen, c subtitles.
        </span>
        <button type="button" className="player-button" onClick={togglePlay} aria-label={paused ? 'Play' : 'Pause'}>
          <Icon name={paused ? 'play' : 'pause'} />
        </button>
        <SeekBar
          current={current}
          duration={duration}
          previewVtt={item.preview?.vtt ?? null}
          previewSprite={item.preview?.sprite ?? null}
          onSeek={seekTo}
        />
        <span className="time" aria-hidden="true">
          {formatDuration(current)} / {formatDuration(duration)}
        </span>
        <div className="player-volume">
          <button type="button" className="player-button" onClick={() => run({ kind: 'mute' })} aria-label={muted ? 'Unmute' : 'Mute'}>
            <Icon name={muted || volume === 0 ? 'muted' : 'volume'} />
          </button>
          <label htmlFor={`${uid}-volume`} className="visually-hidden">
            Volume
          </label>
          <input
            id={`${uid}-volume`}
            className="volume"
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={muted ? 0 : volume}
            onChange={(e) => setLevel(Number(e.target.value))}
            aria-valuetext={`${Math.round((muted ? 0 : volume) * 100)}%`}
          />
        </div>
        <QualityMenu source={quality} />
        {hasCaptions && (
          <>
            <label htmlFor={`${uid}-captions`} className="visually-hidden">
              Subtitles
            </label>
            <select id={`${uid}-captions`} className="captions" value={captions} onChange={(e) => showCaptions(Number(e.target.value))}>
              <option value={CAPTIONS_OFF}>Subtitles off</option>
              {item.subtitles.map((s, i) => (
                <option key={`${s.lang}-${s.url}`} value={i}>
                  {s.label || s.lang}
                </option>
              ))}
            </select>
          </>
        )}
        <button
          type="button"
          className="player-button"
          onClick={toggleFullscreen}
          aria-label={fullscreen ? 'Exit full screen' : 'Full screen'}
        >
          <Icon name={fullscreen ? 'exitFullscreen' : 'enterFullscreen'} />
        </button>
      </div>
    </div>
  );
}
