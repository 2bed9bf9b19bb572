/** Seek previews: a WebVTT file whose cues name a region of a sprite image (`sprite.jpg#xywh=x,y,w,h`). */

export interface PreviewCue {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** "01:02:03.500" or "02:03.500" → seconds. */
export function parseTimestamp(text: string): number | null {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$/.exec(text.trim());
  if (!match) return null;
  const [, h, m, s, ms] = match;
  return Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s) + (ms ? Number(ms.padEnd(3, '0')) / 1000 : 0);
}

export function parsePreviewVtt(text: string, baseUrl: string): PreviewCue[] {
  const cues: PreviewCue[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (!line.includes('-->')) continue;
    const [startText, rest] = line.split('-->');
    const start = parseTimestamp(startText);
    const end = parseTimestamp(rest.trim().split(/\s+/)[0] ?? '');
    const target = (lines[i + 1] ?? '').trim();
    if (start === null || end === null || !target) continue;
    const [path, fragment = ''] = target.split('#');
    const xywh = /xywh=(\d+),(\d+),(\d+),(\d+)/.exec(fragment);
    let url: string;
    try {
      url = new URL(path, baseUrl).toString();
    } catch {
      url = path;
    }
    cues.push({
      start,
      end,
      url,
      x: xywh ? Number(xywh[1]) : 0,
      y: xywh ? Number(xywh[2]) : 0,
      w: xywh ? Number(xywh[3]) : 160,
      h: xywh ? Number(xywh[4]) : 90,
    });
    i += 1;
  }
  return cues;
}

/** The cue covering `time` (binary search over cues sorted by start). */
export function cueAt(cues: PreviewCue[], time: number): PreviewCue | null {
  let lo = 0;
  let hi = cues.length - 1;
  let found: PreviewCue | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid].start <= time) {
      found = cues[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found && time <= found.end) return found;
  return found;
}
