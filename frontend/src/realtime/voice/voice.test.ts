import type { MediaConnection, Peer } from 'peerjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Voice } from './voice';

/** A PeerJS media call as far as Voice uses it: answer, close, events. */
class FakeCall {
  answered: unknown[] = [];
  closed = false;
  options: { sdpTransform?: (sdp: string) => string } | undefined;
  private handlers = new Map<string, (arg?: unknown) => void>();
  /** What Voice reads of the call's RTCPeerConnection; null: none yet. */
  peerConnection: { iceConnectionState: RTCIceConnectionState; getTransceivers: () => [] } | null = null;
  constructor(readonly peer: string) {}
  answer(stream: unknown, options?: { sdpTransform?: (sdp: string) => string }): void {
    this.answered.push(stream);
    this.options = options;
  }
  close(): void {
    this.closed = true;
    this.handlers.get('close')?.();
  }
  on(event: string, fn: (arg?: unknown) => void): void {
    this.handlers.set(event, fn);
  }
  emit(event: string, arg?: unknown): void {
    this.handlers.get(event)?.(arg);
  }
}

const microphone = { getAudioTracks: () => [], getTracks: () => [] } as unknown as MediaStream;

function setup(peerId: string, getUserMedia: () => Promise<MediaStream>) {
  const placed: FakeCall[] = [];
  const peer = {
    id: peerId,
    open: true,
    call: vi.fn((remote: string, _stream: unknown, options: unknown) => {
      const call = new FakeCall(remote);
      call.options = options as FakeCall['options'];
      placed.push(call);
      return call;
    }),
  } as unknown as Peer;
  const voice = new Voice({ getPeer: () => peer, announce: () => undefined, getUserMedia, answerTimeoutMs: 5000 });
  return { voice, peer, placed };
}

/** Member a in voice, its call to b placed (on fake timers: the test runs the clock). */
async function callingB() {
  vi.useFakeTimers();
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
  const placing = setup('a', () => Promise.resolve(microphone));
  await placing.voice.join();
  placing.voice.onStatus('b', { on: true, muted: false });
  return placing;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('Voice', () => {
  it('answers a call that arrives while its own microphone is still opening, instead of dropping it', async () => {
    let grant: (s: MediaStream) => void = () => undefined;
    const { voice } = setup('b', () => new Promise((resolve) => (grant = resolve)));
    const joining = voice.join();
    const call = new FakeCall('a');
    voice.onCall(call as unknown as MediaConnection);
    expect(call.closed).toBe(false);
    expect(call.answered).toHaveLength(0);
    grant(microphone);
    await joining;
    expect(call.answered).toEqual([microphone]);
    expect(call.closed).toBe(false);
  });

  it('refuses a call when not in voice', () => {
    const { voice } = setup('b', () => Promise.resolve(microphone));
    const call = new FakeCall('a');
    voice.onCall(call as unknown as MediaConnection);
    expect(call.closed).toBe(true);
  });

  it('places a call again when the other side never answers it', async () => {
    const { voice, placed } = await callingB();
    expect(placed).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(placed[0].closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1500);
    expect(placed).toHaveLength(2);
    // answered this time: it stays
    placed[1].emit('stream', microphone);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(placed).toHaveLength(2);
    expect(placed[1].closed).toBe(false);
    voice.destroy();
  });

  it('places a call again when it was answered but its connection never comes up', async () => {
    const { voice, placed } = await callingB();
    // the answer brought the other side's stream, but the connectivity checks go on and on
    placed[0].peerConnection = { iceConnectionState: 'checking', getTransceivers: () => [] };
    placed[0].emit('stream', microphone);
    await vi.advanceTimersByTimeAsync(5000);
    expect(placed[0].closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1500);
    expect(placed).toHaveLength(2);
    // connected this time: it stays
    placed[1].peerConnection = { iceConnectionState: 'connected', getTransceivers: () => [] };
    placed[1].emit('stream', microphone);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(placed).toHaveLength(2);
    expect(placed[1].closed).toBe(false);
    voice.destroy();
  });

  it('asks for Opus in-band FEC in every call it places or answers', async () => {
    const { voice, placed } = setup('a', () => Promise.resolve(microphone));
    await voice.join();
    voice.onStatus('b', { on: true, muted: false });
    const incoming = new FakeCall('c');
    voice.onCall(incoming as unknown as MediaConnection);
    const sdp = 'a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10\r\n';
    for (const options of [placed[0].options, incoming.options]) {
      expect(options?.sdpTransform?.(sdp)).toContain('useinbandfec=1');
    }
    voice.destroy();
  });
});
