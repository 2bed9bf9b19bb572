import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContentItem } from '../api/types';
import { listenToControls, type ControlKind } from '../lib/memberControl';
import { Player } from './Player';

const item: ContentItem = {
  id: 'c1',
  title: 'Film',
  description: '',
  duration: 120,
  status: 'ready',
  thumbnail: null,
  renditions: [{ container: 'mp4', width: 1280, height: 720, url: '/media/c1/720p.mp4' }],
  stream: null,
  subtitles: [],
};

/** jsdom has no media pipeline: play and pause only flip `paused`, as a browser does at once. */
let paused = true;
beforeEach(() => {
  paused = true;
  vi.spyOn(HTMLMediaElement.prototype, 'paused', 'get').mockImplementation(() => paused);
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(() => {
    paused = false;
    return Promise.resolve();
  });
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => {
    paused = true;
  });
  vi.spyOn(HTMLMediaElement.prototype, 'duration', 'get').mockReturnValue(120);
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function renderHeard(): { heard: [ControlKind, boolean, number][] } {
  const heard: [ControlKind, boolean, number][] = [];
  render(
    <Player
      item={item}
      videoRef={(video) => {
        // what the room hears, and the media's state at that moment
        if (video) listenToControls(video, (kind) => heard.push([kind, video.paused, video.currentTime]));
      }}
    />,
  );
  fireEvent(document.querySelector('video')!, new Event('durationchange'));
  return { heard };
}

describe('Player: its controls report what they did, at once', () => {
  it('the play and pause button, after acting on the media', () => {
    const { heard } = renderHeard();
    fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    expect(heard).toEqual([['play', false, 0]]);
    fireEvent(document.querySelector('video')!, new Event('play'));
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(heard.at(-1)).toEqual(['pause', true, 0]);
  });

  it('the seek bar and the arrow keys, with the media already at the new position', () => {
    const { heard } = renderHeard();
    fireEvent.change(screen.getByLabelText('Seek'), { target: { value: '42' } });
    expect(heard).toEqual([['seeking', true, 42]]);
    fireEvent.keyDown(document.body, { key: 'ArrowRight' });
    expect(heard.at(-1)?.[0]).toBe('seeking');
    expect(heard.at(-1)?.[2]).toBeGreaterThan(42);
  });
});
