import { describe, expect, it } from 'vitest';
import { normaliseJoin, normaliseRoom, parseRoomCode, sortQueue } from './rooms';

describe('normaliseRoom', () => {
  it('reads the flat room state', () => {
    const room = normaliseRoom({
      id: 'r1',
      name: 'Friday',
      host_id: 'u1',
      has_pin: true,
      content_id: 'c1',
      playback: { state: 'playing', position: 12.5, rate: 1, updated_at: 1000 },
      members: [{ user_id: 'u1', username: 'ann', online: true }],
      queue: [
        { content_id: 'c2', votes: 1, voters: ['u1'] },
        { content_id: 'c3', votes: 2, voters: ['u1', 'u2'] },
      ],
    });
    expect(room).toMatchObject({ id: 'r1', host_id: 'u1', has_pin: true, content_id: 'c1' });
    expect(room.playback).toEqual({ playing: true, position: 12.5, rate: 1, updated_at: 1000 });
    expect(room.queue.map((q) => q.content_id)).toEqual(['c3', 'c2']);
  });

  it('reads state nested under room, and votes as a map', () => {
    const room = normaliseRoom({ room: { room_id: 'r2', host: { id: 'u9' }, votes: { c1: ['u1', 'u2'], c2: ['u3'] } } });
    expect(room.id).toBe('r2');
    expect(room.host_id).toBe('u9');
    expect(room.queue).toEqual([
      { content_id: 'c1', votes: 2, voters: ['u1', 'u2'] },
      { content_id: 'c2', votes: 1, voters: ['u3'] },
    ]);
  });

  it('reads proposals whose votes are voter lists', () => {
    const room = normaliseRoom({ id: 'r', proposals: [{ content: { id: 'c5', title: 'Five' }, votes: ['u1'] }] });
    expect(room.queue[0]).toMatchObject({ content_id: 'c5', title: 'Five', votes: 1, voters: ['u1'] });
  });

  it('keeps the peer settings of a join answer', () => {
    const join = normaliseJoin({
      id: 'r',
      name: 'n',
      peer: { host: '127.0.0.1', port: 9001, path: '/peerjs', key: 'k', token: 't', token_expires: 1_800_000_000, peer_id: 'r-u-x', server: { port: 9001, index: 1 } },
      ice_servers: [{ urls: 'turn:127.0.0.1:3478', username: 'a', credential: 'b' }],
      buffer_wait_s: 25,
    });
    expect(join.peer).toMatchObject({ port: 9001, token: 't', token_expires: 1_800_000_000, peer_id: 'r-u-x', server_index: 1 });
    expect(join.ice_servers).toHaveLength(1);
    // how long the room waits for a member that cannot load: the service's setting, when it says
    expect(join.buffer_wait_s).toBe(25);
    for (const wrong of ['long', 0, 601]) expect(normaliseJoin({ id: 'r', buffer_wait_s: wrong }).buffer_wait_s).toBeUndefined();
  });
});

describe('room codes', () => {
  it('takes a bare code or a link', () => {
    expect(parseRoomCode(' abc123 ')).toBe('abc123');
    expect(parseRoomCode('http://127.0.0.1:8000/rooms/abc123?x=1')).toBe('abc123');
  });
  it('sorts ties by proposal order', () => {
    const q = sortQueue([
      { content_id: 'a', votes: 1, voters: [] },
      { content_id: 'b', votes: 2, voters: [] },
      { content_id: 'c', votes: 1, voters: [] },
    ]);
    expect(q.map((e) => e.content_id)).toEqual(['b', 'a', 'c']);
  });
});
