/**
 * Opus in-band forward error correction: each packet also carries a coarse copy of the previous one, so a
 * lost packet is rebuilt from the next instead of being heard as a gap (voice stays whole at a few percent
 * loss). Chromium offers it already; the SDP of every voice call is made to say so anyway, for browsers
 * that do not, and so that a remote offer without it is answered with it.
 */
export function withOpusFec(sdp: string): string {
  const opus = [...sdp.matchAll(/^a=rtpmap:(\d+) opus\/48000/gim)].map((m) => m[1]);
  if (opus.length === 0) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    let line = lines[i];
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (fmtp && opus.includes(fmtp[1])) {
      const params = fmtp[2].split(';').filter((p) => p.trim() !== '' && !/^\s*useinbandfec=/.test(p));
      line = `a=fmtp:${fmtp[1]} ${[...params, 'useinbandfec=1'].join(';')}`;
    }
    out.push(line);
    const rtpmap = /^a=rtpmap:(\d+) opus\/48000/i.exec(line);
    // an opus payload type without any fmtp line gets one
    if (rtpmap && !lines.some((l) => l.startsWith(`a=fmtp:${rtpmap[1]} `))) out.push(`a=fmtp:${rtpmap[1]} useinbandfec=1`);
  }
  return out.join(eol);
}
