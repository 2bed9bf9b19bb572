import { describe, expect, it } from 'vitest';
import { listenToControls, reportControl, type ControlKind } from './memberControl';

describe('memberControl', () => {
  it('tells the listener of one element what its controls did, at once', () => {
    const video = document.createElement('video');
    const other = document.createElement('video');
    const heard: ControlKind[] = [];
    listenToControls(video, (kind) => heard.push(kind));
    reportControl(video, 'pause');
    reportControl(other, 'play');
    reportControl(video, 'seeking');
    expect(heard).toEqual(['pause', 'seeking']);
  });

  it('is silent once nobody listens', () => {
    const video = document.createElement('video');
    const heard: ControlKind[] = [];
    listenToControls(video, (kind) => heard.push(kind));
    listenToControls(video, null);
    reportControl(video, 'play');
    expect(heard).toEqual([]);
  });
});
