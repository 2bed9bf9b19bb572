import { describe, expect, it } from 'vitest';
import { describeDuration, formatBytes, formatDuration, resumePosition, watchedPercent } from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [5, '0:05'],
    [75, '1:15'],
    [599.9, '9:59'],
    [3600, '1:00:00'],
    [3725, '1:02:05'],
  ])('%s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
  it('shows a dash for unknown', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(Number.NaN)).toBe('–');
    expect(formatDuration(-1)).toBe('–');
  });
});

describe('describeDuration', () => {
  it('speaks durations', () => {
    expect(describeDuration(45)).toBe('45 seconds');
    expect(describeDuration(3720)).toBe('1 hour 2 minutes');
    expect(describeDuration(61)).toBe('1 minute 1 second');
  });
});

describe('progress helpers', () => {
  it('computes the watched share', () => {
    expect(watchedPercent(30, 60)).toBe(50);
    expect(watchedPercent(90, 60)).toBe(100);
    expect(watchedPercent(10, null)).toBeNull();
  });
  it('resumes only in the middle', () => {
    expect(resumePosition(2, 100)).toBe(0);
    expect(resumePosition(50, 100)).toBe(50);
    expect(resumePosition(95, 100)).toBe(0);
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MB');
  });
});
