/**
 * Text chat: lines, their order, history for late joiners, validation. No DOM here; lines are
 * rendered as plain text by the panel (never as HTML).
 */

export const MAX_MESSAGE_LENGTH = 500;
export const HISTORY_CAP = 200;
/** Lines handed to a newly connected peer. */
export const HELLO_HISTORY = 100;

export interface ChatLine {
  id: string;
  /** 'user' lines travel between peers; 'system' lines are made locally. */
  kind: 'user' | 'system';
  user_id: string;
  name: string;
  text: string;
  /** Server epoch ms the line was written at. */
  ts: number;
}

/** Collapses control characters, trims, caps the length. Empty → null. */
export function cleanText(raw: string, max = MAX_MESSAGE_LENGTH): string | null {
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (!text) return null;
  const chars = Array.from(text);
  return chars.length > max ? chars.slice(0, max).join('') : text;
}

function lineOrder(a: ChatLine, b: ChatLine): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Validates a line received from a peer. */
export function parseLine(v: unknown): ChatLine | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 100) return null;
  if (typeof r.user_id !== 'string' || typeof r.name !== 'string' || typeof r.text !== 'string') return null;
  if (typeof r.ts !== 'number' || !Number.isFinite(r.ts)) return null;
  const text = cleanText(r.text);
  if (text === null) return null;
  const name = cleanText(r.name, 64) ?? 'someone';
  return { id: r.id, kind: 'user', user_id: r.user_id, name, text, ts: r.ts };
}

let seq = 0;

export class ChatLog {
  private lines: ChatLine[] = [];
  private ids = new Set<string>();
  private readonly cap: number;
  private listeners = new Set<() => void>();

  constructor(cap = HISTORY_CAP) {
    this.cap = cap;
  }

  get all(): readonly ChatLine[] {
    return this.lines;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.listeners.forEach((l) => l());
  }

  /** Adds lines (deduplicated by id), keeping time order and the cap. Returns how many were new. */
  add(...incoming: ChatLine[]): number {
    let added = 0;
    for (const line of incoming) {
      if (this.ids.has(line.id)) continue;
      this.ids.add(line.id);
      added += 1;
      // usually the newest: insert from the end
      let i = this.lines.length;
      while (i > 0 && lineOrder(this.lines[i - 1], line) > 0) i -= 1;
      this.lines.splice(i, 0, line);
    }
    if (this.lines.length > this.cap) {
      const removed = this.lines.splice(0, this.lines.length - this.cap);
      removed.forEach((l) => this.ids.delete(l.id));
    }
    if (added > 0) this.changed();
    return added;
  }

  /** A line written here; null when the text is empty after cleaning. */
  compose(user_id: string, name: string, raw: string, ts: number): ChatLine | null {
    const text = cleanText(raw);
    if (text === null) return null;
    seq += 1;
    const line: ChatLine = {
      id: `${user_id}:${Math.round(ts).toString(36)}:${seq.toString(36)}:${Math.random().toString(36).slice(2, 6)}`,
      kind: 'user',
      user_id,
      name,
      text,
      ts,
    };
    this.add(line);
    return line;
  }

  /** A local line about what happened (joined, left, paused by X). */
  system(text: string, ts: number): ChatLine {
    seq += 1;
    const line: ChatLine = { id: `sys:${seq}:${Math.round(ts)}`, kind: 'system', user_id: '', name: '', text, ts };
    this.add(line);
    return line;
  }

  /** User lines to hand a late joiner (system lines are each peer's own). */
  history(limit = HELLO_HISTORY): ChatLine[] {
    return this.lines.filter((l) => l.kind === 'user').slice(-limit);
  }

  /** Merges a peer's history. */
  merge(lines: unknown[]): number {
    const parsed = lines.slice(-HELLO_HISTORY).map(parseLine).filter((l): l is ChatLine => l !== null);
    return this.add(...parsed);
  }
}
