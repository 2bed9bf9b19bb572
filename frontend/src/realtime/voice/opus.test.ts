import { describe, expect, it } from 'vitest';
import { withOpusFec } from './opus';

const offer = (fmtp: string | null): string =>
  [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9',
    'a=rtpmap:111 opus/48000/2',
    ...(fmtp === null ? [] : [`a=fmtp:111 ${fmtp}`]),
    'a=rtpmap:63 red/48000/2',
    'a=fmtp:63 111/111',
    'a=rtpmap:9 G722/8000',
    '',
  ].join('\r\n');

describe('withOpusFec', () => {
  it('turns in-band FEC on for opus, keeping its other parameters', () => {
    const sdp = withOpusFec(offer('minptime=10;useinbandfec=0'));
    expect(sdp).toContain('a=fmtp:111 minptime=10;useinbandfec=1\r\n');
    expect(sdp).not.toContain('useinbandfec=0');
  });

  it('adds the parameter where opus has an fmtp line without it, or none at all', () => {
    expect(withOpusFec(offer('minptime=10'))).toContain('a=fmtp:111 minptime=10;useinbandfec=1\r\n');
    const bare = withOpusFec(offer(null));
    expect(bare).toContain('a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n');
  });

  it('leaves other codecs alone and is idempotent', () => {
    const once = withOpusFec(offer('minptime=10;useinbandfec=1'));
    expect(once).toContain('a=fmtp:63 111/111\r\n');
    expect(withOpusFec(once)).toBe(once);
    expect(withOpusFec('v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n')).toBe('v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n');
  });
});
