// Installed in a room member's page before the app runs (context.addInitScript(memberPage, options)), shared
// by the sync browser tests and bench/sync: the app's session, a log of the <video>'s media events (they do
// not bubble, so they are caught on the way down) with a way to await one inside the page, the page's
// RTCPeerConnections, and with `drift` this member's distance from the room's timeline every 100 ms, with each
// timeline it took and each clock it followed. With `relay` (a port), the TURN URLs the room hands the page's
// RTCPeerConnections point at that port on loopback instead: the member's impairment relay in front of coturn
// (tests/browser/lib/network.mjs), over `relayTransport` ('udp' or 'tcp') only. With `longFrames`, the page's
// frames over 50 ms, with their scripts; with `mediaCalls`, when its scripts called play(), pause() or set
// currentTime on a media element.
// It runs in the page, so it may use nothing from this module's scope.

import { FRONT_URL, waitFor, watchCsp } from './browser.mjs';

/**
 * A room member in a new context of `browser`, signed in as `who` ({token, user}) with memberPage installed, at
 * `path`; added to `members` before its page loads (so a failure's screenshots include it) and returned once
 * the room's sync engine runs: `{ name, context, page, errors }` (the page's uncaught errors).
 */
export async function openRoomMember(browser, who, path, members, { timeout = 20_000 } = {}) {
  const context = watchCsp(await browser.newContext({ baseURL: FRONT_URL, viewport: { width: 1100, height: 800 } }));
  context.setDefaultTimeout(15_000);
  await context.addInitScript(memberPage, who);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  const member = { name: who.user.username, context, page, errors };
  members.push(member);
  await page.goto(path);
  await page.locator('video').waitFor({ state: 'attached', timeout });
  await waitFor(() => page.evaluate(() => Boolean(window.__flmnchllSync)), { timeout, message: `${member.name}: sync engine` });
  return member;
}

export function memberPage({ token, user, drift = false, longFrames = false, mediaCalls = false, relay = null, relayTransport = 'udp' }) {
  localStorage.setItem('flmnchll.token', token);
  localStorage.setItem('flmnchll.user', JSON.stringify(user));
  const now = () => performance.timeOrigin + performance.now();
  window.__now = now;
  window.addEventListener('load', () => {
    window.__loadedAt = now();
  });
  window.__events = [];
  if (mediaCalls) {
    // when the page's scripts called play(), pause() or set currentTime on a media element: a command takes effect
    // in the media pipeline at that call, and its media event is dispatched once the main thread gets to it
    window.__calls = [];
    const media = HTMLMediaElement.prototype;
    const { play, pause } = media;
    const position = Object.getOwnPropertyDescriptor(media, 'currentTime');
    media.play = function playCalled(...args) {
      window.__calls.push({ type: 'play', t: now() });
      return play.apply(this, args);
    };
    media.pause = function pauseCalled(...args) {
      window.__calls.push({ type: 'pause', t: now() });
      return pause.apply(this, args);
    };
    Object.defineProperty(media, 'currentTime', {
      ...position,
      set(value) {
        window.__calls.push({ type: 'seeking', t: now() });
        position.set.call(this, value);
      },
    });
  }
  if (longFrames) {
    // every frame over 50 ms (Chromium's long-animation-frame entries), with the scripts that ran in it: what a
    // command or a media event waited behind in this page (times on the common clock)
    window.__longFrames = [];
    const at = (ms) => performance.timeOrigin + ms;
    new PerformanceObserver((list) => {
      for (const f of list.getEntries()) {
        window.__longFrames.push({
          t: at(f.startTime), ms: f.duration, render: f.renderStart ? at(f.renderStart) : null,
          scripts: f.scripts.map((s) => ({ t: at(s.startTime), ms: s.duration, invoker: s.invoker, source: s.sourceURL.split('/').pop(), layoutMs: s.forcedStyleAndLayoutDuration })),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  }
  // resolves with the first `type` event at or after `since` (null after `timeout` ms): awaiting inside the
  // page spares the driver from polling the pages while a command propagates
  const waiters = new Set();
  window.__eventAfter = (type, since, timeout) =>
    new Promise((resolve) => {
      const find = () => window.__events.find((e) => e.type === type && e.t >= since - 1) ?? null;
      const waiter = () => {
        const e = find();
        if (!e) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        resolve(e);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        resolve(null);
      }, timeout);
      waiters.add(waiter);
      waiter();
    });
  for (const type of ['play', 'pause', 'seeking', 'seeked', 'playing', 'waiting']) {
    document.addEventListener(
      type,
      (e) => {
        if (!(e.target instanceof HTMLVideoElement)) return;
        window.__events.push({ type, t: now(), pos: e.target.currentTime });
        // in a task of its own: answering the driver must not hold up the app's own listeners for this event
        if (waiters.size > 0) setTimeout(() => { for (const waiter of [...waiters]) waiter(); }, 0);
      },
      true,
    );
  }
  const Native = window.RTCPeerConnection;
  if (Native) {
    const pcs = [];
    window.__pcs = pcs;
    const viaRelay = (config) => {
      if (!relay || !config || !Array.isArray(config.iceServers)) return config;
      const rewrite = (url) => url.replace(/^(turns?|stuns?):[^:?]+:\d+/, `$1:127.0.0.1:${relay}`);
      // one TURN transport (see bench/netem.py): UDP unless the link says TCP
      const other = relayTransport === 'tcp' ? 'transport=udp' : 'transport=tcp';
      const urlsOf = (s) => [].concat(s.urls).filter((u) => !u.includes(other)).map(rewrite);
      const iceServers = config.iceServers.map((s) => ({ ...s, urls: urlsOf(s) })).filter((s) => s.urls.length > 0);
      return { ...config, iceServers };
    };
    window.RTCPeerConnection = class extends Native {
      constructor(config, ...rest) {
        super(viaRelay(config), ...rest);
        pcs.push(this);
      }
    };
  }
  if (drift) {
    window.__drift = [];
    // each timeline this member took, when (true clock), whose it was, and the command this member last heard; each
    // clock it followed (and how many links it had then)
    window.__timelines = [];
    window.__clocks = [];
    setInterval(() => {
      const s = window.__flmnchllSync;
      const st = s?.state;
      if (!s) return;
      const c = `${s.clockSource.reference === s.peerId ? 'own' : s.clockSource.reference.slice(-4)}~${Math.round(s.clockSource.rttMs)} links ${s.links.length}`;
      if (window.__clocks.at(-1)?.c !== c) window.__clocks.push({ t: now(), c });
      if (!st || window.__timelines.at(-1)?.id === st.id) return;
      const heard = s.lastCommand;
      window.__timelines.push({ t: now(), id: st.id, by: String(st.id).split(':')[0].slice(-4), playing: st.playing, at: st.at,
                                position: st.position, heard: heard && { id: heard.id, action: heard.action, origin: heard.origin, at: heard.at, received: heard.received } });
    }, 5);
    setInterval(() => {
      const v = document.querySelector('video');
      const s = window.__flmnchllSync;
      if (!v || !s || !s.state?.playing || v.paused || v.seeking || s.stats().holding) return;
      // d: off the timeline as the engine sees it (its own clock); x: off it on the true clock (the pages share
      // the server's machine, so true server time is the local clock); p: the position, to compare pages
      const t = now();
      const st = s.state;
      const x = (v.currentTime - (st.position + ((t - st.at) / 1000) * st.rate)) * 1000;
      const c = s.clockSource;
      window.__drift.push({ t, d: (v.currentTime - s.expectedPosition()) * 1000, x, p: v.currentTime, r: v.playbackRate,
                            c: `${c.reference === s.peerId ? 'own' : c.reference.slice(-4)}~${Math.round(c.rttMs)}`,
                            k: `${String(st.id).slice(-6)}@${Math.round(st.at - (st.position * 1000) / st.rate)}` });
    }, 100);
  }
}
