import { afterEach, describe, expect, it, vi } from 'vitest';
import { Members, rosterOf } from './members';
import type { HelloWire, MemberInfo } from './protocol';

function hello(user_id: string, username: string): HelloWire {
  return {
    type: 'hello',
    v: 1,
    peer_id: '',
    user_id,
    username,
    state: null,
    chat: [],
    voice: { on: true, muted: false },
    buffering: false,
    members: [],
    locked: false,
    host_id: null,
  };
}

describe('Members', () => {
  afterEach(() => vi.useRealTimers());

  it('reads the roster, leaving out this member and malformed entries', () => {
    const roster = rosterOf([{ peer_id: 'p1', user_id: 'u1' }, { peer_id: 'p0', user_id: 'me' }, { user_id: 'u2' }, null, 'x'], 'me');
    expect(roster).toEqual([{ peer_id: 'p1', user_id: 'u1', username: 'someone' }]);
    expect(rosterOf(undefined, 'me')).toEqual([]);
  });

  it('names a peer by its hello, else by the roster', () => {
    const m = new Members('me', [{ peer_id: 'p1', user_id: 'u1', username: 'Ann' }]);
    const me = { peer: 'p0', username: 'Me' };
    expect(m.nameOf('p0', me)).toBe('Me');
    expect(m.nameOf('p1', me)).toBe('Ann');
    m.linkUp('p1');
    m.introduce('p1', hello('u1', 'Annie'), () => undefined);
    expect(m.nameOf('p1', me)).toBe('Annie');
    expect(m.nameOf('p9', me)).toBe('someone');
  });

  it('a member introducing itself under a new peer id replaces its old one', () => {
    const m = new Members('me', []);
    m.linkUp('old');
    const first = m.introduce('old', hello('u1', 'Ann'), () => undefined);
    expect(first.fresh).toBe(true);
    const replaced: string[] = [];
    const second = m.introduce('new', hello('u1', 'Ann'), (p) => replaced.push(p));
    expect(replaced).toEqual(['old']);
    expect(second).toMatchObject({ fresh: true, knownBefore: true });
    expect([...m.peers.keys()]).toEqual(['new']);
    expect(m.linked()).toEqual([{ peer_id: 'new', user_id: 'u1', username: 'Ann' }]);
  });

  it("takes the other members' peer ids from a peer's list, leaving out this member and malformed entries", () => {
    const m = new Members('me', []);
    const list = [
      { peer_id: 'p1', user_id: 'u1', username: 'Ann' },
      { peer_id: 'p0', user_id: 'me', username: 'Me' },
      { peer_id: 'p2', user_id: 'u2' },
    ] as MemberInfo[];
    expect(m.otherPeersIn(list)).toEqual(['p1']);
  });

  it('a link down for 8 s is gone, unless it comes back up', () => {
    vi.useFakeTimers();
    const m = new Members('me', []);
    const gone = vi.fn();
    m.linkUp('p1');
    m.linkDown('p1', gone);
    vi.advanceTimersByTime(5000);
    m.linkUp('p1');
    vi.advanceTimersByTime(5000);
    expect(gone).not.toHaveBeenCalled();
    m.linkDown('p1', gone);
    expect(m.userLinked('')).toBe(false);
    vi.advanceTimersByTime(8000);
    expect(gone).toHaveBeenCalledTimes(1);
  });
});
