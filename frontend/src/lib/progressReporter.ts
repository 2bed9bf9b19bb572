/**
 * Solo watching: tells the content function where the viewer is and how many seconds were actually
 * played since the last report (the views statistics count real playback, not page loads).
 */

export interface ProgressReportBody {
  position: number;
  duration?: number;
  playing_seconds: number;
}

export type SendReport = (report: ProgressReportBody, keepalive: boolean) => Promise<void>;

/** Adds up wall-clock playing time between start and stop; `take` hands out what was counted so far. */
export class PlayTimeMeter {
  private since: number | null = null;
  private banked = 0;

  start(now: number): void {
    if (this.since === null) this.since = now;
  }

  stop(now: number): void {
    if (this.since !== null) {
      this.banked += Math.max(0, now - this.since);
      this.since = null;
    }
  }

  get running(): boolean {
    return this.since !== null;
  }

  /** Milliseconds counted since the last take. */
  take(now: number): number {
    let total = this.banked;
    if (this.since !== null) {
      total += Math.max(0, now - this.since);
      this.since = now;
    }
    this.banked = 0;
    return total;
  }
}

export class ProgressReporter {
  private video: HTMLVideoElement | null = null;
  private timer: number | null = null;
  private readonly meter = new PlayTimeMeter();
  private lastSentPosition = -1;
  private pendingMs = 0;
  private sending = false;
  private readonly send: SendReport;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(send: SendReport, intervalMs = 5000, now: () => number = () => performance.now()) {
    this.send = send;
    this.intervalMs = intervalMs;
    this.now = now;
  }

  private readonly onPlaying = () => {
    this.meter.start(this.now());
    if (this.timer === null) this.timer = window.setInterval(() => this.flush(false), this.intervalMs);
  };

  private readonly onStop = () => {
    this.meter.stop(this.now());
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
    this.flush(false);
  };

  private readonly onWaiting = () => this.meter.stop(this.now());

  attach(video: HTMLVideoElement | null): void {
    if (video === this.video) return;
    this.detach();
    this.video = video;
    if (!video) return;
    video.addEventListener('playing', this.onPlaying);
    video.addEventListener('pause', this.onStop);
    video.addEventListener('ended', this.onStop);
    video.addEventListener('waiting', this.onWaiting);
    video.addEventListener('seeked', this.onSeeked);
    if (!video.paused && video.readyState > 2) this.onPlaying();
  }

  private readonly onSeeked = () => {
    const v = this.video;
    if (v && !v.paused) this.meter.start(this.now());
  };

  detach(): void {
    const video = this.video;
    if (!video) return;
    this.meter.stop(this.now());
    video.removeEventListener('playing', this.onPlaying);
    video.removeEventListener('pause', this.onStop);
    video.removeEventListener('ended', this.onStop);
    video.removeEventListener('waiting', this.onWaiting);
    video.removeEventListener('seeked', this.onSeeked);
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
    this.position = video.currentTime;
    this.duration = Number.isFinite(video.duration) ? video.duration : undefined;
    this.video = null;
  }

  private position = 0;
  private duration: number | undefined;

  /** Sends what is new; `keepalive` for the page going away. */
  flush(keepalive: boolean): void {
    const video = this.video;
    if (video) {
      this.position = video.currentTime;
      this.duration = Number.isFinite(video.duration) ? video.duration : undefined;
    }
    this.pendingMs += this.meter.take(this.now());
    const position = Math.round(this.position * 10) / 10;
    if (this.pendingMs < 250 && Math.abs(position - this.lastSentPosition) < 1) return;
    if (this.sending && !keepalive) return;
    const body: ProgressReportBody = {
      position,
      playing_seconds: Math.round(this.pendingMs / 100) / 10,
    };
    if (this.duration) body.duration = this.duration;
    const sentMs = this.pendingMs;
    this.pendingMs = 0;
    this.lastSentPosition = position;
    this.sending = true;
    this.send(body, keepalive)
      .catch(() => {
        // not lost: counted again in the next report
        this.pendingMs += sentMs;
        this.lastSentPosition = -1;
      })
      .finally(() => {
        this.sending = false;
      });
  }
}
