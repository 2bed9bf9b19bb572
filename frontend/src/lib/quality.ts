/**
 * The quality menu's model, apart from where the picture comes from: a source lists its levels and
 * says which one plays. Progressive renditions are one source, an adaptive stream through hls.js another
 * (both below), and the controls stay the same.
 */
import type { Container, Rendition } from '../api/types';
import { pickRendition, qualityLabel, renditionHeights } from './rendition';

export interface QualityLevel {
  id: string;
  /** What a person reads: "720p HD". */
  label: string;
}

export interface QualityState {
  /** Highest first. */
  levels: readonly QualityLevel[];
  /** The level the person chose, or null for automatic. */
  selected: string | null;
  /** The level playing now, or null while unknown. */
  active: string | null;
}

export interface QualitySource {
  getState(): QualityState;
  /** null chooses automatic. */
  select(id: string | null): void;
  subscribe(listener: () => void): () => void;
}

/** The menu's value for automatic quality. */
export const AUTO = 'auto';

export interface QualityChoice {
  value: string;
  label: string;
}

/** Automatic first (naming the level in use, once), then every level. */
export function qualityChoices(state: QualityState): QualityChoice[] {
  const active = state.levels.find((l) => l.id === state.active);
  const auto = active && state.selected === null ? `Auto (${active.label})` : 'Auto';
  return [{ value: AUTO, label: auto }, ...state.levels.map((l) => ({ value: l.id, label: l.label }))];
}

export interface ProgressiveOptions {
  renditions: Rendition[];
  container: Container;
  devicePixelRatio: number;
  viewportWidth: number;
}

/** Growth of the player's width that makes automatic quality look again (fullscreen, rotation). */
const REPICK_GROWTH = 1.3;

/**
 * Whole files at a few heights: automatic picks the smallest one as wide as the player's physical
 * pixels; a chosen height is played as it is.
 */
export class ProgressiveQuality implements QualitySource {
  private readonly options: ProgressiveOptions;
  private levels: QualityLevel[] = [];
  private width: number;
  private chosen: number | null = null;
  private state: QualityState;
  private readonly listeners = new Set<() => void>();

  constructor(options: ProgressiveOptions) {
    this.options = { ...options };
    this.width = options.viewportWidth;
    this.levels = this.levelsOf(options.renditions);
    this.state = this.compute();
  }

  /** Fresh links to the same film (signed links expire): the choice stays. */
  setRenditions(renditions: Rendition[]): void {
    if (renditions === this.options.renditions) return;
    this.options.renditions = renditions;
    this.levels = this.levelsOf(renditions);
    this.state = this.compute();
    this.listeners.forEach((l) => l());
  }

  private levelsOf(renditions: Rendition[]): QualityLevel[] {
    return renditionHeights(renditions, this.options.container).map((h) => ({ id: String(h), label: qualityLabel(h) }));
  }

  /** The file to play now. */
  rendition(): Rendition | null {
    return pickRendition(this.options.renditions, {
      container: this.options.container,
      viewportWidth: this.width,
      devicePixelRatio: this.options.devicePixelRatio,
      height: this.chosen,
    });
  }

  /** The player's width in CSS pixels; only a large growth counts, so small resizes never change the file. */
  setWidth(width: number): void {
    if (width <= this.width * REPICK_GROWTH) return;
    this.width = width;
    this.changed();
  }

  getState = (): QualityState => this.state;

  select(id: string | null): void {
    const height = id === null ? null : Number(id);
    this.chosen = height !== null && Number.isFinite(height) ? height : null;
    this.changed();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private compute(): QualityState {
    const playing = this.rendition();
    return { levels: this.levels, selected: this.chosen === null ? null : String(this.chosen), active: playing ? String(playing.height) : null };
  }

  private changed(): void {
    const next = this.compute();
    if (next.selected === this.state.selected && next.active === this.state.active) return;
    this.state = next;
    this.listeners.forEach((l) => l());
  }
}

/**
 * An adaptive stream's rungs (the levels hls.js kept, one codec family): automatic lets hls.js pick per
 * viewer; a chosen rung is held. The rung playing comes from hls.js's level switches.
 */
export class HlsQuality implements QualitySource {
  private heights: number[] = [];
  private chosen: number | null = null;
  private playing: number | null = null;
  private state: QualityState = { levels: [], selected: null, active: null };
  private readonly listeners = new Set<() => void>();

  /** `switchTo(index)` sets hls.js's `nextLevel`: from the next segment on, so playback never stalls; -1 is automatic. */
  constructor(private readonly switchTo: (index: number) => void) {}

  /** hls.js's levels, in its order (their index is what hls.js switches to). */
  setLevels(levels: readonly { height: number }[]): void {
    this.heights = levels.map((l) => l.height);
    this.changed();
  }

  /** hls.js switched to this level index. */
  setPlaying(index: number): void {
    this.playing = this.heights[index] ?? null;
    this.changed();
  }

  getState = (): QualityState => this.state;

  select(id: string | null): void {
    const height = id === null ? NaN : Number(id);
    const index = this.heights.indexOf(height);
    this.chosen = index >= 0 ? height : null;
    this.switchTo(index);
    this.changed();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private changed(): void {
    const levels = Array.from(new Set(this.heights))
      .sort((a, b) => b - a)
      .map((h) => ({ id: String(h), label: qualityLabel(h) }));
    this.state = {
      levels,
      selected: this.chosen === null ? null : String(this.chosen),
      active: this.playing === null ? null : String(this.playing),
    };
    this.listeners.forEach((l) => l());
  }
}
