/**
 * How much longer than a warm one the first start takes after the media (or the film) changed (s): the
 * pipeline starts its decoders and audio output then. A joiner starts only with half a second loaded (see
 * Startup.loadedEnough), and in Chromium its first start then takes about 50 ms longer than a warm one: begun
 * 80 ms early, joiners landed 18-44 ms ahead of the room (median 29, 19 joins on every network profile). A
 * start begun this much earlier lands on the timeline instead of being steered onto it for seconds.
 */
export const COLD_START_EXTRA_S = 0.05;

/**
 * How long this peer's media takes to seek and to start moving after play(), learnt from what it
 * does, and the leads derived from them: a restart gives the media time to load, a play is begun
 * early by its start-up latency.
 */
export class LearntLatencies {
  /** Seconds from a seek to its seeked event. */
  seekS: number;
  /** Seconds from play() until the media really moves. */
  playS: number;
  /** No start seen yet since the media (or the film) changed: the first one is slow and not learnt from. */
  private cold = true;
  /** A start under watch: the head start (media position minus timeline, s) it was given. */
  private watchedGap: number | null = null;

  constructor(seekS: number, playS: number) {
    this.seekS = seekS;
    this.playS = playS;
  }

  /** Seconds from play() until the media moves, for the next start (a cold one takes longer). */
  startS(): number {
    return this.playS + (this.cold ? COLD_START_EXTRA_S : 0);
  }

  /** The media or the film changed: its next start loads first. */
  coldAgain(): void {
    this.cold = true;
  }

  /** A seek of the engine's own took `sample` seconds. */
  learnSeek(sample: number): void {
    if (sample >= 0 && sample < 5) this.seekS = this.seekS * 0.7 + sample * 0.3;
  }

  /** The media was just started with a head start of `gap` (s): learn from its first steady look. */
  watchStart(gap: number): void {
    this.watchedGap = gap;
  }

  /**
   * The first look after a start, `drift` (s) off the timeline: whatever of the head start is left is
   * what the start did not need. A play called late (the command arrived after its moment) is behind
   * by that much, not slower. Returns whether a start was under watch.
   */
  firstLook(drift: number, rate: number): boolean {
    if (this.watchedGap === null) return false;
    const sample = (this.watchedGap - drift) / rate;
    this.watchedGap = null;
    const cold = this.cold;
    this.cold = false;
    if (!cold && Math.abs(drift) < 0.3 && sample > -0.1 && sample < 1) {
      this.playS = Math.min(0.5, Math.max(0, this.playS + (sample - this.playS) * 0.5));
    }
    return true;
  }

  /** How far ahead (s) a restart seeks: time to load, twice over. */
  restartLeadS(): number {
    return Math.max(0.2, this.seekS * 2 + 0.05);
  }

  /** Lead of a synchronised restart after a member's seek (ms): time to load, plus time to tell the others. */
  seekLeadMs(oneWayMs: number): number {
    return Math.min(3000, Math.max(200, 2 * this.seekS * 1000 + 2 * oneWayMs + this.playS * 1000));
  }
}
