import { describe, expect, it } from 'vitest';
import type { PeerInfo } from './members';
import { memberViews } from './snapshot';
import { SELF } from './voice/voice';

describe('memberViews', () => {
  it('lists this member first, then linked peers, then the roster, each user once', () => {
    const peers = new Map<string, PeerInfo>([
      ['p1', { user_id: 'u1', username: 'Ann', linked: true, voice: null, goneTimer: null }],
      ['p1b', { user_id: 'u1', username: 'Ann', linked: false, voice: null, goneTimer: null }],
    ]);
    const views = memberViews({
      me: { peer: 'p0', user_id: 'me', username: 'Me', online: true },
      voice: { joined: false, status: { on: false, muted: false }, speaking: new Set([SELF, 'p1']) },
      peers,
      roster: [
        { peer_id: 'p1', user_id: 'u1', username: 'Ann' },
        { peer_id: 'p2', user_id: 'u2', username: 'Bob' },
      ],
      hostId: 'u2',
      waiting: new Set(['p1']),
    });
    expect(views.map((v) => [v.username, v.self, v.linked, v.speaking, v.buffering, v.host])).toEqual([
      ['Me', true, true, true, false, false],
      ['Ann', false, true, true, true, false],
      ['Bob', false, false, false, false, true],
    ]);
  });
});
