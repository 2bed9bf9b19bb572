import { describe, expect, it } from 'vitest';
import { FakeMedia, FakeTime } from './fakes';
import { FollowState } from './followState';
import { OwnMedia } from './ownMedia';

function setup() {
  const time = new FakeTime();
  const media = new FakeMedia(time, { seekLatencyMs: 50 });
  const follow = new FollowState(media);
  const own = new OwnMedia(follow, time.clock(), 350, () => undefined);
  return { time, media, own };
}

describe('OwnMedia', () => {
  it("claims the events of its own operations once each, and not a member's", () => {
    const { time, media, own } = setup();
    own.play(time.now);
    expect(own.claimPlay(time.now)).toBe(true);
    expect(own.claimPlay(time.now)).toBe(false);
    own.pause();
    expect(own.claimPause(time.now)).toBe(true);
    media.userPause();
    expect(own.claimPause(time.now)).toBe(false);
  });

  it('forgets an expected event that never came', () => {
    const { time, own } = setup();
    own.play(time.now);
    time.advance(1600);
    expect(own.claimPlay(time.now)).toBe(false);
  });

  it('tells its seeks by position, the later one completing the earlier', () => {
    const { time, own } = setup();
    own.seek(10);
    own.seek(20);
    expect(own.claimSeeking(42, time.now)).toBe(false);
    expect(own.claimSeeking(20, time.now)).toBe(true);
    expect(own.claimSeeking(10, time.now)).toBe(false);
    time.advance(50);
    expect(own.seekDone(time.now)).toBeCloseTo(0.05);
    expect(own.seekDone(time.now)).toBeNull();
  });

  it('times a seek only once no other of its seeks is pending', () => {
    const { time, own } = setup();
    own.seek(10);
    own.seek(20);
    expect(own.seekDone(time.now)).toBeNull();
  });

  it('knows the rate it set, and leaves the media to settle after a seek', () => {
    const { time, own } = setup();
    own.setRate(1.02);
    expect(own.isOwnRate(1.02)).toBe(true);
    expect(own.isOwnRate(1.5)).toBe(false);
    own.seek(5);
    expect(own.settling(time.now + 349)).toBe(true);
    expect(own.settling(time.now + 350)).toBe(false);
  });
});
