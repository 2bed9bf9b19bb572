/**
 * Voice chat: audio-only PeerJS calls between every two members who joined voice (a mesh).
 * Mute and push-to-talk stop sending altogether (the sender's track is detached), a WebAudio
 * analyser per member drives the speaking indicators.
 */
import type { MediaConnection, Peer } from 'peerjs';
import type { VoiceStatus } from '../protocol';
import { withOpusFec } from './opus';

export const VOICE_CONSTRAINTS: MediaStreamConstraints = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  video: false,
};

export const SELF = 'self';

export interface VoiceOptions {
  /** The mesh's current PeerJS peer. */
  getPeer: () => Peer | null;
  /** Tell the room our voice status. */
  announce: (status: VoiceStatus) => void;
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  /** RMS level above which someone counts as speaking. */
  speakingLevel?: number;
  /** Where remote audio elements are attached (default: document.body). */
  container?: () => HTMLElement | null;
  /** A call that has brought no audio, or whose connection is not up, after this long is placed again (ms). */
  answerTimeoutMs?: number;
}

/** Every voice call's SDP, both ways: Opus with in-band FEC (lost packets rebuilt from the next). */
const CALL_OPTIONS = { sdpTransform: withOpusFec };

interface RemoteVoice {
  call: MediaConnection;
  stream: MediaStream | null;
  audio: HTMLAudioElement | null;
  analyser: AnalyserNode | null;
  source: MediaStreamAudioSourceNode | null;
}

/** The call's connection is up (what the browser reports of its ICE), or it does not say. */
function connected(call: MediaConnection): boolean {
  const state = call.peerConnection?.iceConnectionState;
  return state === undefined || state === 'connected' || state === 'completed';
}

export class Voice {
  private opts: VoiceOptions;
  private local: MediaStream | null = null;
  private calls = new Map<string, RemoteVoice>();
  private statuses = new Map<string, VoiceStatus>();
  private ctx: AudioContext | null = null;
  private localAnalyser: AnalyserNode | null = null;
  private localSource: MediaStreamAudioSourceNode | null = null;
  private meter: ReturnType<typeof setInterval> | null = null;
  private speakingSince = new Map<string, number>();
  private listeners = new Set<() => void>();
  private buf: Float32Array<ArrayBuffer> | null = null;
  /** Calls that arrived while the microphone was still being opened: answered once it is. */
  private held: MediaConnection[] = [];

  joined = false;
  joining = false;
  muted = false;
  pushToTalk = false;
  talking = false;
  error: string | null = null;
  /** Who is speaking now: remote peer ids, and SELF. */
  speaking = new Set<string>();

  constructor(options: VoiceOptions) {
    this.opts = options;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.listeners.forEach((l) => l());
  }

  get status(): VoiceStatus {
    return { on: this.joined, muted: this.muted || (this.pushToTalk && !this.talking) };
  }

  /** Peers we have a live call with. */
  get connected(): string[] {
    return [...this.calls.entries()].filter(([, v]) => v.stream !== null).map(([id]) => id);
  }

  /** Remote members in voice, as they announced. */
  get members(): Map<string, VoiceStatus> {
    return this.statuses;
  }

  /** Whether this member is sending audio now. */
  get transmitting(): boolean {
    return this.joined && !this.muted && (!this.pushToTalk || this.talking);
  }

  async join(): Promise<void> {
    if (this.joined || this.joining) return;
    this.joining = true;
    this.error = null;
    this.changed();
    try {
      const gum = this.opts.getUserMedia ?? ((c: MediaStreamConstraints) => navigator.mediaDevices.getUserMedia(c));
      this.local = await gum(VOICE_CONSTRAINTS);
    } catch (err) {
      this.joining = false;
      this.error = err instanceof Error && err.name === 'NotAllowedError' ? 'Microphone access was refused.' : 'No microphone available.';
      this.held.splice(0).forEach((call) => call.close());
      this.changed();
      return;
    }
    this.joining = false;
    this.joined = true;
    this.ensureAudio();
    if (this.ctx && this.local) {
      try {
        this.localSource = this.ctx.createMediaStreamSource(this.local);
        this.localAnalyser = this.ctx.createAnalyser();
        this.localAnalyser.fftSize = 512;
        this.localSource.connect(this.localAnalyser);
      } catch {
        this.localAnalyser = null;
      }
    }
    this.applyTransmit();
    this.opts.announce(this.status);
    for (const call of this.held.splice(0)) this.onCall(call);
    for (const [peer, s] of this.statuses) if (s.on) this.maybeCall(peer);
    this.changed();
  }

  leave(): void {
    if (!this.joined) return;
    this.joined = false;
    for (const peer of [...this.calls.keys()]) this.hangUp(peer);
    this.local?.getTracks().forEach((t) => t.stop());
    this.local = null;
    try {
      this.localSource?.disconnect();
    } catch {
      // ignore
    }
    this.localSource = null;
    this.localAnalyser = null;
    this.speaking.clear();
    this.opts.announce(this.status);
    this.changed();
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.applyTransmit();
    if (this.joined) this.opts.announce(this.status);
    this.changed();
  }

  setPushToTalk(on: boolean): void {
    this.pushToTalk = on;
    this.talking = false;
    this.applyTransmit();
    if (this.joined) this.opts.announce(this.status);
    this.changed();
  }

  /** Push-to-talk key or button held (true) or released (false). */
  setTalking(down: boolean): void {
    if (this.talking === down) return;
    this.talking = down;
    this.applyTransmit();
    if (this.joined) this.opts.announce(this.status);
    this.changed();
  }

  /** Sends or stops sending: track enabled, and the senders' track detached while silent. */
  private applyTransmit(): void {
    const on = this.transmitting;
    const track = this.local?.getAudioTracks()[0] ?? null;
    if (track) track.enabled = on;
    for (const v of this.calls.values()) {
      const pc = v.call.peerConnection;
      if (!pc) continue;
      for (const tr of pc.getTransceivers()) {
        if (tr.receiver.track?.kind !== 'audio') continue;
        if (tr.currentDirection === 'stopped') continue;
        const want = on ? track : null;
        if (tr.sender.track !== want) tr.sender.replaceTrack(want).catch(() => undefined);
      }
    }
  }

  /** A member's voice status (from hello or a voice message). */
  onStatus(peer: string, status: VoiceStatus): void {
    this.statuses.set(peer, status);
    if (!status.on) this.hangUp(peer);
    else this.maybeCall(peer);
    this.changed();
  }

  /** The member left or its link closed for good. */
  peerGone(peer: string): void {
    this.statuses.delete(peer);
    this.hangUp(peer);
    this.changed();
  }

  /** Exactly one side calls: the one with the smaller peer id. */
  private maybeCall(remote: string): void {
    const peer = this.opts.getPeer();
    if (!this.joined || !this.local || !peer || !peer.open || this.calls.has(remote)) return;
    if (!(peer.id < remote)) return;
    let call: MediaConnection;
    try {
      call = peer.call(remote, this.local, { metadata: { kind: 'voice' }, ...CALL_OPTIONS });
    } catch {
      return;
    }
    if (call) this.wire(remote, call);
  }

  /** Our PeerJS peer was rebuilt (new id): calls are gone, place them again. */
  relink(): void {
    for (const peer of [...this.calls.keys()]) this.hangUp(peer);
    for (const [peer, s] of this.statuses) if (s.on) this.maybeCall(peer);
  }

  /** An incoming call: answered with our microphone if we are in voice, refused otherwise. */
  onCall(call: MediaConnection): void {
    if (this.joining) {
      // both joined at about the same time: the caller's call must not be lost while our microphone opens
      this.held.push(call);
      return;
    }
    if (!this.joined || !this.local) {
      call.close();
      return;
    }
    const existing = this.calls.get(call.peer);
    if (existing) {
      existing.call.close();
      this.calls.delete(call.peer);
    }
    call.answer(this.local, CALL_OPTIONS);
    this.wire(call.peer, call);
  }

  private wire(remote: string, call: MediaConnection): void {
    const v: RemoteVoice = { call, stream: null, audio: null, analyser: null, source: null };
    this.calls.set(remote, v);
    call.on('stream', (stream: MediaStream) => {
      if (this.calls.get(remote) !== v) return;
      v.stream = stream;
      this.attach(v, remote, stream);
      this.applyTransmit();
      this.changed();
    });
    const gone = (): void => {
      if (this.calls.get(remote) !== v) return;
      this.detach(v);
      this.calls.delete(remote);
      this.changed();
      // still both in voice: place it again shortly
      setTimeout(() => {
        if (this.statuses.get(remote)?.on) this.maybeCall(remote);
      }, 1500);
    };
    call.on('close', gone);
    call.on('error', gone);
    // a call that is never answered (the other side refused or lost it) says nothing, and one answered whose
    // connection never comes up waits for the browser to give up on it (half a minute or more): place it again
    setTimeout(() => {
      if (this.calls.get(remote) === v && (v.stream === null || !connected(call))) {
        try {
          call.close();
        } catch {
          // ignore
        }
        gone();
      }
    }, this.opts.answerTimeoutMs ?? 10_000);
    this.applyTransmit();
  }

  private attach(v: RemoteVoice, remote: string, stream: MediaStream): void {
    if (typeof document === 'undefined') return;
    const audio = v.audio ?? document.createElement('audio');
    audio.autoplay = true;
    audio.dataset.voicePeer = remote;
    audio.srcObject = stream;
    if (!v.audio) (this.opts.container?.() ?? document.body).appendChild(audio);
    v.audio = audio;
    void audio.play().catch(() => undefined);
    this.ensureAudio();
    if (this.ctx) {
      try {
        v.source = this.ctx.createMediaStreamSource(stream);
        v.analyser = this.ctx.createAnalyser();
        v.analyser.fftSize = 512;
        v.source.connect(v.analyser);
      } catch {
        v.analyser = null;
      }
    }
  }

  private detach(v: RemoteVoice): void {
    try {
      v.source?.disconnect();
    } catch {
      // ignore
    }
    if (v.audio) {
      v.audio.srcObject = null;
      v.audio.remove();
    }
    v.audio = null;
    v.analyser = null;
    v.source = null;
  }

  private hangUp(remote: string): void {
    const v = this.calls.get(remote);
    if (!v) return;
    this.calls.delete(remote);
    this.detach(v);
    try {
      v.call.close();
    } catch {
      // ignore
    }
    this.speaking.delete(remote);
  }

  private ensureAudio(): void {
    if (this.ctx || typeof AudioContext === 'undefined') {
      if (this.ctx?.state === 'suspended') void this.ctx.resume().catch(() => undefined);
    } else {
      try {
        this.ctx = new AudioContext();
      } catch {
        this.ctx = null;
      }
    }
    if (this.meter === null) this.meter = setInterval(() => this.measure(), 100);
  }

  private level(analyser: AnalyserNode): number {
    if (!this.buf || this.buf.length !== analyser.fftSize) this.buf = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(this.buf);
    let sum = 0;
    for (let i = 0; i < this.buf.length; i += 1) sum += this.buf[i] * this.buf[i];
    return Math.sqrt(sum / this.buf.length);
  }

  private measure(): void {
    const threshold = this.opts.speakingLevel ?? 0.015;
    const t = Date.now();
    const before = [...this.speaking].sort().join(',');
    const check = (key: string, analyser: AnalyserNode | null, allowed: boolean): void => {
      const loud = allowed && analyser !== null && this.level(analyser) > threshold;
      if (loud) this.speakingSince.set(key, t);
      const last = this.speakingSince.get(key) ?? 0;
      if (loud || (allowed && t - last < 350)) this.speaking.add(key);
      else this.speaking.delete(key);
    };
    check(SELF, this.localAnalyser, this.transmitting);
    for (const [peer, v] of this.calls) check(peer, v.analyser, !(this.statuses.get(peer)?.muted ?? false));
    if ([...this.speaking].sort().join(',') !== before) this.changed();
  }

  /** Inbound audio bytes per remote (getStats), for checks. */
  async bytesReceived(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [peer, v] of this.calls) {
      const pc = v.call.peerConnection;
      if (!pc) continue;
      let bytes = 0;
      const stats = await pc.getStats();
      stats.forEach((s: { type?: string; kind?: string; bytesReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') bytes += s.bytesReceived ?? 0;
      });
      out[peer] = bytes;
    }
    return out;
  }

  destroy(): void {
    this.leave();
    if (this.meter !== null) clearInterval(this.meter);
    this.meter = null;
    void this.ctx?.close().catch(() => undefined);
    this.ctx = null;
    this.listeners.clear();
  }
}
