import { useEffect, useId, useState, type PointerEvent as ReactPointerEvent, type ReactElement } from 'react';
import { formatDuration } from '../../lib/format';
import { cueAt, parsePreviewVtt, type PreviewCue } from '../../lib/previewVtt';

export interface SeekBarProps {
  current: number;
  duration: number;
  /** The preview map (WebVTT) and the sprite it points into, when the film has them. */
  previewVtt: string | null;
  previewSprite: string | null;
  onSeek: (time: number) => void;
}

/** The timeline: a slider with a picture of where it would land, under the pointer or the keys. */
export function SeekBar({ current, duration, previewVtt, previewSprite, onSeek }: SeekBarProps): ReactElement {
  const id = useId();
  const cues = usePreviewCues(previewVtt, previewSprite);
  const [hover, setHover] = useState<{ time: number; x: number } | null>(null);

  const onPointer = (event: ReactPointerEvent<HTMLInputElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    if (!rect.width || !duration) return;
    const ratio = Math.max(0, Math.min(1, (event.clientX - rect.left) / rect.width));
    setHover({ time: ratio * duration, x: ratio * rect.width });
  };
  const previewCue = hover && cues.length ? cueAt(cues, hover.time) : null;

  return (
    <div className="timeline" onPointerLeave={() => setHover(null)}>
      <label htmlFor={id} className="visually-hidden">
        Seek
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={duration || 0}
        step={0.1}
        value={Math.min(current, duration || 0)}
        onChange={(e) => onSeek(Number(e.target.value))}
        onPointerMove={onPointer}
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
  );
}

/** The seek-preview sprite map. */
function usePreviewCues(previewVtt: string | null, previewSprite: string | null): PreviewCue[] {
  const [cues, setCues] = useState<PreviewCue[]>([]);
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
  return cues;
}
