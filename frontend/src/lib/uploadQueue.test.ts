import { describe, expect, it } from 'vitest';
import { fileKey, summarise, titleFromFileName, uploadPercent, uploadReducer, type UploadEntry } from './uploadQueue';

const add = (state: UploadEntry[], name: string, size = 1000) =>
  uploadReducer(state, { type: 'add', entries: [{ key: `${name}:${size}`, fileName: name, size }] });

describe('upload queue', () => {
  it('adds files once, titled from their names', () => {
    let s = add([], 'my_trip-2024.final.mp4');
    s = add(s, 'my_trip-2024.final.mp4');
    expect(s).toHaveLength(1);
    expect(s[0].title).toBe('my trip 2024 final');
    expect(s[0].status).toBe('ready');
  });

  it('moves through upload, pause, resume and done', () => {
    let s = add([], 'a.mp4', 200);
    const key = s[0].key;
    s = uploadReducer(s, { type: 'start', key });
    s = uploadReducer(s, { type: 'progress', key, bytesSent: 50, bytesTotal: 200 });
    expect(uploadPercent(s[0])).toBe(25);
    s = uploadReducer(s, { type: 'pause', key });
    expect(s[0].status).toBe('paused');
    s = uploadReducer(s, { type: 'start', key, resumed: true });
    expect(s[0]).toMatchObject({ status: 'uploading', resumed: true });
    s = uploadReducer(s, { type: 'success', key });
    expect(s[0]).toMatchObject({ status: 'done', bytesSent: 200 });
    expect(uploadPercent(s[0])).toBe(100);
  });

  it('ignores late progress and errors after done', () => {
    let s = add([], 'a.mp4', 100);
    const key = s[0].key;
    s = uploadReducer(s, { type: 'success', key });
    s = uploadReducer(s, { type: 'progress', key, bytesSent: 10, bytesTotal: 100 });
    s = uploadReducer(s, { type: 'error', key, message: 'late' });
    expect(s[0].status).toBe('done');
    expect(s[0].error).toBeNull();
  });

  it('edits only before the upload starts', () => {
    let s = add([], 'a.mp4');
    const key = s[0].key;
    s = uploadReducer(s, { type: 'edit', key, title: 'Film' });
    s = uploadReducer(s, { type: 'start', key });
    s = uploadReducer(s, { type: 'edit', key, title: 'Changed' });
    expect(s[0].title).toBe('Film');
  });

  it('does not remove a running upload and clears finished ones', () => {
    let s = add(add([], 'a.mp4'), 'b.mp4');
    const [a, b] = s.map((e) => e.key);
    s = uploadReducer(s, { type: 'start', key: a });
    s = uploadReducer(s, { type: 'remove', key: a });
    expect(s).toHaveLength(2);
    s = uploadReducer(s, { type: 'success', key: b });
    s = uploadReducer(s, { type: 'clearDone' });
    expect(s.map((e) => e.key)).toEqual([a]);
  });

  it('summarises the queue', () => {
    let s = add(add([], 'a.mp4', 100), 'b.mp4', 300);
    s = uploadReducer(s, { type: 'start', key: s[0].key });
    s = uploadReducer(s, { type: 'progress', key: s[0].key, bytesSent: 100, bytesTotal: 100 });
    s = uploadReducer(s, { type: 'error', key: s[1].key, message: 'refused' });
    expect(summarise(s)).toEqual({ total: 2, active: 1, done: 0, failed: 1, bytesSent: 100, bytesTotal: 400 });
  });

  it('keys files by name, size and date', () => {
    expect(fileKey({ name: 'x.mp4', size: 5, lastModified: 7 })).toBe('x.mp4:5:7');
    expect(titleFromFileName('.mp4')).toBe('.mp4');
  });
});

describe('retry notices', () => {
  it('shows a retry note until progress resumes', () => {
    let s = add([], 'a.mp4', 100);
    const key = s[0].key;
    s = uploadReducer(s, { type: 'retrying', key, message: 'wait' });
    expect(s[0].notice).toBeNull(); // not uploading yet
    s = uploadReducer(s, { type: 'start', key });
    s = uploadReducer(s, { type: 'retrying', key, message: 'wait' });
    expect(s[0].notice).toBe('wait');
    s = uploadReducer(s, { type: 'progress', key, bytesSent: 5, bytesTotal: 100 });
    expect(s[0].notice).toBeNull();
  });
});
