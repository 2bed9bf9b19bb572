import { describe, expect, it } from 'vitest';
import { RoomClock } from './roomClock';

/** Pings to a peer whose room clock is `ahead` ms ahead of ours, over a path of `up`/`down` ms each way. */
function ping(clock: RoomClock, peer: string, at: number, ahead: number, up: number, down: number): void {
  clock.addSample(peer, { sent: at, remote: at + up + ahead, back: at + up + down });
}

describe('RoomClock', () => {
  it('follows the member with the tightest HTTP clock, and its time as measured over the data link', () => {
    const room = new RoomClock();
    room.noteQuality('b', 2);
    for (let i = 0; i < 3; i += 1) ping(room, 'b', 1000 * i, 75, 80, 80);
    // this member's HTTP clock has a 150 ms round trip: b's (2 ms) is better
    expect(room.reference('a', 150, ['b'])).toBe('b');
    expect(room.offset('a', 150, ['b'])).toBeCloseTo(75, 6);
    // the best member itself keeps its own
    expect(room.offset('a', 1, ['b'])).toBeNull();
  });

  it('takes the sample with the smallest round trip, so jitter on the link does not move the clock', () => {
    const room = new RoomClock();
    room.noteQuality('b', 1);
    const jitter = [[95, 80], [80, 80], [80, 120], [110, 90], [85, 100]];
    jitter.forEach(([up, down], i) => ping(room, 'b', 1000 * i, 40, up, down));
    expect(room.offset('a', 100, ['b'])).toBeCloseTo(40, 6);
  });

  it('needs a few samples before following a peer, and follows only linked peers', () => {
    const room = new RoomClock();
    room.noteQuality('b', 1);
    ping(room, 'b', 0, 30, 10, 10);
    ping(room, 'b', 1000, 30, 10, 10);
    expect(room.offset('a', 50, ['b'])).toBeNull();
    ping(room, 'b', 2000, 30, 10, 10);
    expect(room.offset('a', 50, ['b'])).toBeCloseTo(30, 6);
    expect(room.offset('a', 50, [])).toBeNull();
    room.remove('b');
    expect(room.offset('a', 50, ['b'])).toBeNull();
  });

  it("follows the reference's clock when its own estimate moves, though the tightest ping came before the move", () => {
    const room = new RoomClock();
    room.noteQuality('b', 2);
    // b's local clock runs 1000 ms ahead of ours; its room time, first 60 ms ahead of its local clock
    const answer = (at: number, roomOffset: number, up: number, down: number): void =>
      room.addSample('b', { sent: at, remote: at + up + 1000 + roomOffset, remoteLocal: at + up + 1000, back: at + up + down });
    for (let i = 0; i < 3; i += 1) answer(1000 * i, 60, 2, 2);
    expect(room.offset('a', 150, ['b'])).toBeCloseTo(1060, 6);
    // b's next HTTP samples, once its page settled, move its room time 45 ms back; the pings now queue longer
    answer(4000, 15, 30, 30);
    expect(room.offset('a', 150, ['b'])).toBeCloseTo(1015, 6);
  });

  it('agrees on one reference everywhere: near-equal clocks tie to the smaller peer id', () => {
    const room = new RoomClock();
    room.noteQuality('a', 41);
    room.noteQuality('c', 39);
    for (let i = 0; i < 3; i += 1) {
      ping(room, 'a', 1000 * i, 5, 20, 20);
      ping(room, 'c', 1000 * i, -5, 20, 20);
    }
    // qualities 39, 40 and 41 ms are one step: the smallest id wins, seen from b as from anyone
    expect(room.reference('b', 40, ['a', 'c'])).toBe('a');
    expect(room.reference('c', 39, ['a', 'b'])).toBe('a');
    // a member without an HTTP clock yet never leads
    expect(room.reference('a', Number.NaN, ['c'])).toBe('c');
  });
});
