import { describe, expect, it } from 'vitest';
import { ChatLog, cleanText, MAX_MESSAGE_LENGTH, parseLine } from './chat';

describe('chat lines', () => {
  it('cleans text: trims, drops control characters, caps the length', () => {
    expect(cleanText('  hi \u0007there  ')).toBe('hi there');
    expect(cleanText('   ')).toBeNull();
    expect(cleanText('x'.repeat(MAX_MESSAGE_LENGTH + 50))?.length).toBe(MAX_MESSAGE_LENGTH);
    expect(cleanText('\u202Eevil')).toBe('evil');
  });

  it('keeps markup as text (rendering never interprets it)', () => {
    const line = parseLine({ id: 'a', user_id: 'u', name: '<b>x</b>', text: '<img src=x onerror=alert(1)>', ts: 1 });
    expect(line?.text).toBe('<img src=x onerror=alert(1)>');
    expect(line?.kind).toBe('user');
  });

  it('rejects malformed lines', () => {
    expect(parseLine(null)).toBeNull();
    expect(parseLine({ id: 'a', user_id: 'u', name: 'n', text: '', ts: 1 })).toBeNull();
    expect(parseLine({ id: 'a', user_id: 'u', name: 'n', text: 'x', ts: 'soon' })).toBeNull();
  });
});

describe('ChatLog', () => {
  it('orders by time then id, deduplicates, caps', () => {
    const log = new ChatLog(3);
    const mk = (id: string, ts: number) => ({ id, kind: 'user' as const, user_id: 'u', name: 'n', text: id, ts });
    expect(log.add(mk('b', 20), mk('a', 10), mk('c', 20))).toBe(3);
    expect(log.all.map((l) => l.id)).toEqual(['a', 'b', 'c']);
    expect(log.add(mk('a', 10))).toBe(0);
    log.add(mk('d', 5)); // older than everything kept: falls off at once
    expect(log.all.map((l) => l.id)).toEqual(['a', 'b', 'c']);
    log.add(mk('e', 30));
    expect(log.all.map((l) => l.id)).toEqual(['b', 'c', 'e']);
  });

  it('hands user lines to late joiners and merges them once', () => {
    const a = new ChatLog();
    a.compose('u1', 'ann', 'hello', 100);
    a.system('bob joined', 101);
    a.compose('u2', 'bob', 'hi ann', 102);
    const history = a.history();
    expect(history.map((l) => l.text)).toEqual(['hello', 'hi ann']);
    const late = new ChatLog();
    late.compose('u3', 'cy', 'am I late?', 103);
    expect(late.merge(history)).toBe(2);
    expect(late.merge(history)).toBe(0);
    expect(late.all.map((l) => l.text)).toEqual(['hello', 'hi ann', 'am I late?']);
  });

  it('does not store an empty message', () => {
    const log = new ChatLog();
    expect(log.compose('u', 'n', '   ', 1)).toBeNull();
    expect(log.all).toHaveLength(0);
  });
});
