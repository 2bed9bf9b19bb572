import { describe, expect, it } from 'vitest';
import { edgeOfNativeStream, edgeOfPlaylist } from './streamEdge';

describe('edgeOfPlaylist', () => {
  it('a playlist without its end grows; with it, it is whole', () => {
    expect(edgeOfPlaylist({ edge: 14, live: true })).toEqual({ edge: 14, growing: true });
    expect(edgeOfPlaylist({ edge: 96.04, live: false })).toEqual({ edge: 96.04, growing: false });
  });

  it('nothing loaded yet says nothing', () => {
    expect(edgeOfPlaylist(null)).toBeNull();
    expect(edgeOfPlaylist({ edge: Number.NaN, live: true })).toBeNull();
  });
});

describe('edgeOfNativeStream', () => {
  it("the browser's own HLS shows a growing playlist as endless, seekable up to its edge", () => {
    expect(edgeOfNativeStream(Number.POSITIVE_INFINITY, 22)).toEqual({ edge: 22, growing: true });
  });

  it('a film with a duration is whole', () => {
    expect(edgeOfNativeStream(120, 120)).toBeNull();
    expect(edgeOfNativeStream(Number.POSITIVE_INFINITY, null)).toBeNull();
  });
});
