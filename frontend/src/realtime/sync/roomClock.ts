import { ClockEstimator } from './clock';

/**
 * One clock for the whole room. Each member estimates the server's clock over HTTP, but that estimate is
 * only as good as the HTTP path is symmetric: a path slower one way than the other (an uplink queue, a
 * proxy holding responses) puts a member's clock off by half the difference, and two members off by
 * different amounts see the same timeline at different moments however well each follows it. So the room
 * follows one member's clock: the one whose HTTP estimate is tightest (smallest round trip, which bounds its
 * error), ties to the smaller peer id. The others measure that member's clock over their data link (pings
 * stamped with its room time, best of the recent ones by round trip, as for HTTP) and take its time.
 *
 * What the pings measure is the other member's local clock, which never jumps; its room time is that plus its
 * offset, taken from its latest answer. The offset moves whenever that member's own estimate improves (its
 * first HTTP samples are taken while its page loads), and the best ping may be older than the move.
 */
export interface PeerTimeSample {
  /** Local epoch ms when the ping left. */
  sent: number;
  /** The remote's room time (server epoch ms, as it follows the room) when it answered. */
  remote: number;
  /** The remote's local clock (epoch ms) when it answered; absent from members that do not send it. */
  remoteLocal?: number;
  /** Local epoch ms when the answer came back. */
  back: number;
}

export interface RoomClockOptions {
  /** Samples of a peer needed before its clock is followed. */
  minSamples?: number;
  /** Clock qualities (HTTP round trips, ms) within one step of each other count as equal (ties → peer id). */
  qualityStepMs?: number;
  /** Samples kept per peer, and for how long (local ms). */
  maxSamples?: number;
  maxAgeMs?: number;
}

interface PeerEntry {
  estimator: ClockEstimator;
  /** Its HTTP clock's round trip (ms), as it announced; Infinity when it has none. */
  quality: number;
  /** Its room time minus its local clock (ms), at its latest answer (0 when it sends no local clock). */
  roomOffset: number;
}

export class RoomClock {
  private peers = new Map<string, PeerEntry>();
  private readonly minSamples: number;
  private readonly step: number;
  private readonly maxSamples: number;
  private readonly maxAgeMs: number;

  constructor(options: RoomClockOptions = {}) {
    this.minSamples = options.minSamples ?? 3;
    this.step = options.qualityStepMs ?? 5;
    this.maxSamples = options.maxSamples ?? 16;
    this.maxAgeMs = options.maxAgeMs ?? 120_000;
  }

  private entry(peer: string): PeerEntry {
    let e = this.peers.get(peer);
    if (!e) {
      e = {
        estimator: new ClockEstimator({ maxSamples: this.maxSamples, maxAgeMs: this.maxAgeMs }),
        quality: Number.POSITIVE_INFINITY,
        roomOffset: 0,
      };
      this.peers.set(peer, e);
    }
    return e;
  }

  /** A peer announced the round trip (ms) of its HTTP clock estimate. */
  noteQuality(peer: string, rttMs: unknown): void {
    if (typeof rttMs === 'number' && Number.isFinite(rttMs) && rttMs >= 0) this.entry(peer).quality = rttMs;
  }

  /** A ping to `peer` came back with its room time. */
  addSample(peer: string, s: PeerTimeSample): void {
    if (![s.sent, s.remote, s.back].every(Number.isFinite)) return;
    const e = this.entry(peer);
    const local = s.remoteLocal !== undefined && Number.isFinite(s.remoteLocal) ? s.remoteLocal : s.remote;
    if (e.estimator.add({ t0: s.sent, t1: local, t2: local, t3: s.back })) e.roomOffset = s.remote - local;
  }

  /** The peer left the room. */
  remove(peer: string): void {
    this.peers.delete(peer);
  }

  private better(a: [string, number], b: [string, number]): boolean {
    const qa = Math.round(a[1] / this.step);
    const qb = Math.round(b[1] / this.step);
    return qa !== qb ? qa < qb : a[0] < b[0];
  }

  /** The peer whose clock the room follows (`self` for this one), among this peer and the peers in `linked`. */
  reference(self: string, selfQuality: number, linked: readonly string[]): string {
    let best: [string, number] = [self, Number.isFinite(selfQuality) ? selfQuality : Number.POSITIVE_INFINITY];
    for (const peer of linked) {
      const e = this.peers.get(peer);
      if (!e || e.estimator.count < this.minSamples || !Number.isFinite(e.quality)) continue;
      const candidate: [string, number] = [peer, e.quality];
      if (this.better(candidate, best)) best = candidate;
    }
    return best[0];
  }

  /** The clock followed and the round trip (ms) bounding its error: the data link's to a peer, else HTTP's. */
  source(self: string, selfQuality: number, linked: readonly string[]): { reference: string; rttMs: number } {
    const reference = this.reference(self, selfQuality, linked);
    return { reference, rttMs: reference === self ? selfQuality : (this.peers.get(reference)?.estimator.rtt ?? Number.NaN) };
  }

  /**
   * Room time minus local time (ms) when another member's clock is followed; null when this peer's own HTTP
   * estimate is the best the room has.
   */
  offset(self: string, selfQuality: number, linked: readonly string[]): number | null {
    const ref = this.reference(self, selfQuality, linked);
    if (ref === self) return null;
    const e = this.peers.get(ref);
    return e ? e.estimator.offset + e.roomOffset : null;
  }
}
