// Installed in a room member's page before the app runs (context.addInitScript(memberPage, options)), shared
// by the sync browser tests and bench/sync: the app's session, a log of the <video>'s media events (they do
// not bubble, so they are caught on the way down) with a way to await one inside the page, the page's
// RTCPeerConnections, and with `drift` this member's distance from the room's timeline every 100 ms.
// It runs in the page, so it may use nothing from this module's scope.
export function memberPage({ token, user, drift = false }) {
  localStorage.setItem('flmnchll.token', token);
  localStorage.setItem('flmnchll.user', JSON.stringify(user));
  const now = () => performance.timeOrigin + performance.now();
  window.__now = now;
  window.__events = [];
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
        for (const waiter of [...waiters]) waiter();
      },
      true,
    );
  }
  const Native = window.RTCPeerConnection;
  if (Native) {
    const pcs = [];
    window.__pcs = pcs;
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        pcs.push(this);
      }
    };
  }
  if (drift) {
    window.__drift = [];
    setInterval(() => {
      const v = document.querySelector('video');
      const s = window.__flmnchllSync;
      if (!v || !s || !s.state?.playing || v.paused || v.seeking || s.stats().holding) return;
      window.__drift.push({ t: now(), d: (v.currentTime - s.expectedPosition()) * 1000, r: v.playbackRate });
    }, 100);
  }
}
