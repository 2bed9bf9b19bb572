// What the network tests and bench/sync measure of a room from outside, on the one clock all pages on this
// machine share (performance.timeOrigin + performance.now(), which is also the server's): how far apart the
// members' pictures are, how soon a late joiner is in step, whether chat arrives whole and in order, and what
// voice costs each member's uplink. The pages run memberPage (member.mjs).

/**
 * A person's `action` ('play', 'pause', or 'seek' to `x` s) on a member's player; returns when it was done, on
 * the common clock. `via` 'controls' (the default) presses the app's own controls (the play/pause button, the seek
 * bar), which act on the <video> and tell the room at once; 'element' acts on the <video> itself, as a page script
 * would, so that only the media's events carry the command (tests/browser/sync.test.mjs acts that way too).
 */
export function act(member, action, x, via = 'controls') {
  return member.page.evaluate(
    ([what, value, how]) => {
      const v = document.querySelector('video');
      const toggle = how === 'controls' ? document.querySelector('.player-bar button') : null;
      const seekBar = how === 'controls' ? document.getElementById([...document.querySelectorAll('label')].find((l) => l.textContent.trim() === 'Seek').htmlFor) : null;
      const t = window.__now();
      // (a pause of a paused film, or a play of a playing one, does nothing, as the element's own calls do)
      if (how === 'element') {
        if (what === 'seek') v.currentTime = value;
        else if (what === 'play') v.play().catch(() => {});
        else v.pause();
      } else if (what === 'seek') {
        // as a drag on the bar does: the input's value, then its input event (React's onChange)
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(seekBar, String(value));
        seekBar.dispatchEvent(new Event('input', { bubbles: true }));
      } else if (v.paused === (what === 'play')) {
        toggle.click();
      }
      return t;
    },
    [action, x, via],
  );
}

/** Where a page's film is at local time `t` (s), from a sample `{t, p, r}` taken close to it. */
const positionAt = (sample, t) => sample.p + ((t - sample.t) / 1000) * sample.r;

/**
 * Spread of the members' positions (ms) in every 100 ms slot where all `count` were sampled in steady state
 * (`steady(t)`): each page's position carried to the slot's middle, max − min.
 */
export function spreadOf(samples, steady, count) {
  const slots = new Map();
  samples.forEach((list, i) => {
    for (const s of list) {
      if (!steady(s.t)) continue;
      const key = Math.floor(s.t / 100);
      if (!slots.has(key)) slots.set(key, new Map());
      slots.get(key).set(i, s);
    }
  });
  const spread = [];
  for (const [key, slot] of slots) {
    if (slot.size < count) continue;
    const middle = key * 100 + 50;
    const at = [...slot.values()].map((s) => positionAt(s, middle) * 1000);
    spread.push(Math.max(...at) - Math.min(...at));
  }
  return spread;
}

/** |distance from the room's timeline| (ms) on the true clock, of every steady sample of every member. */
export function trueDrift(samples, steady) {
  return samples.flatMap((list) => list.filter((s) => steady(s.t)).map((s) => Math.abs(s.x)));
}

/** One look at a member's film: `{t, p, r, moving}` on the common clock. */
function where(member) {
  return member.page.evaluate(() => {
    const v = document.querySelector('video');
    return { t: window.__now(), p: v.currentTime, r: v.playbackRate, moving: !v.paused && !v.seeking && v.readyState >= 3, o: window.__flmnchllSync?.offset ?? null, d: window.__flmnchllSync?.drift ?? null };
  });
}

/**
 * What a page fetched and what its film did, in ms after its load event: where a late joiner's seconds went.
 * Paths are shortened to what tells the requests apart (no origin, query or signed prefix).
 */
export function pageTimeline(member) {
  return member.page.evaluate(() => {
    const origin = performance.timeOrigin;
    const zero = window.__loadedAt ?? origin;
    const at = (t) => Math.round(t - zero);
    return {
      fetches: performance.getEntriesByType('resource').map((r) => ({
        name: new URL(r.name).pathname.replace(/\/media\/s\/[^/]+\/[^/]+\//, '/media/s/…/'),
        start: at(origin + r.startTime),
        end: at(origin + r.responseEnd),
        bytes: r.transferSize,
      })),
      events: window.__events.map((e) => ({ type: e.type, t: at(e.t), pos: e.pos })),
    };
  });
}

/**
 * A member that (re)opened the room while it plays: how long (ms) until its film is within `within` ms of the
 * others' (the median of theirs) in three looks in a row, from its navigation and from its page's load event.
 */
export async function lateJoin(joiner, others, { timeout = 30_000, within = 40 } = {}) {
  const deadline = Date.now() + timeout;
  let first = null;
  let inRow = 0;
  let last = null;
  const seen = [];
  while (Date.now() < deadline) {
    const [mine, ...theirs] = await Promise.all([joiner, ...others].map(where));
    const at = theirs.filter((s) => s.moving).map((s) => positionAt(s, mine.t) * 1000).sort((a, b) => a - b);
    last = at.length && mine.moving ? mine.p * 1000 - at[Math.floor(at.length / 2)] : null;
    seen.push({ t: Math.round(mine.t), off: last === null ? null : Math.round(last), rate: mine.r, drift: mine.d === null ? null : Math.round(mine.d), spread: at.length ? Math.round(at.at(-1) - at[0]) : null, clocks: [mine, ...theirs].map((s) => (s.o === null ? null : Math.round(s.o))) });
    if (last !== null && Math.abs(last) <= within) {
      inRow += 1;
      first ??= mine.t;
      if (inRow >= 3) {
        const { origin, loaded } = await joiner.page.evaluate(() => ({ origin: performance.timeOrigin, loaded: window.__loadedAt ?? null }));
        return { ok: true, fromNavigation: first - origin, fromLoad: loaded === null ? null : first - loaded, offMs: last, seen, loaded };
      }
    } else {
      inRow = 0;
      first = null;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: false, fromNavigation: null, fromLoad: null, offMs: last, seen };
}

/** A member types `count` chat lines (Enter after each); returns what it sent, in order. */
export async function sendChat(member, count, tag) {
  const input = member.page.locator('input[name="message"]');
  const sent = [];
  for (let k = 0; k < count; k += 1) {
    const text = `line ${k} from ${tag} ${Math.random().toString(36).slice(2, 7)}`;
    await input.fill(text);
    await input.press('Enter');
    sent.push({ from: tag, text });
  }
  return sent;
}

/**
 * Waits (up to `timeout`) until every member shows every line `sent`, then: how many lines each member never
 * got (and which), whether each showed every sender's lines in the order they were written, and whether all members show
 * the lines in one and the same order.
 */
export async function chatDelivery(members, sent, { timeout = 20_000 } = {}) {
  const texts = new Set(sent.map((s) => s.text));
  const shown = async (m) => (await m.page.evaluate(() => window.__flmnchllSync.chat().map((l) => l.text))).filter((t) => texts.has(t));
  const deadline = Date.now() + timeout;
  let views = await Promise.all(members.map(shown));
  while (Date.now() < deadline && views.some((v) => v.length < texts.size)) {
    await new Promise((r) => setTimeout(r, 250));
    views = await Promise.all(members.map(shown));
  }
  const bySender = new Map();
  for (const s of sent) bySender.set(s.from, [...(bySender.get(s.from) ?? []), s.text]);
  const inWriteOrder = (view) => [...bySender.values()].every((lines) => {
    const seen = view.filter((t) => lines.includes(t));
    return seen.every((t, k) => t === lines[k]);
  });
  const lost = views.map((v) => texts.size - new Set(v).size);
  // which member never showed which sender's line, by their order in the members given
  const missing = views.flatMap((v, i) => sent.filter((s) => !v.includes(s.text)).map((s) => ({ member: i, from: s.from, text: s.text })));
  return {
    lines: texts.size,
    members: members.length,
    lost: lost.reduce((a, b) => a + b, 0),
    missing,
    outOfOrder: views.filter((v) => !inWriteOrder(v)).length,
    sameOrder: views.every((v) => JSON.stringify(v) === JSON.stringify(views[0])),
  };
}

/** Audio bytes (payload and headers) a page has sent so far on each of its peer connections (by index). */
function audioSent(member) {
  return member.page.evaluate(async () => {
    const out = {};
    for (const [i, pc] of (window.__pcs ?? []).entries()) {
      if (pc.connectionState === 'closed') continue;
      let bytes = 0;
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'outbound-rtp' && s.kind === 'audio') bytes += (s.bytesSent ?? 0) + (s.headerBytesSent ?? 0);
      });
      out[i] = bytes;
    }
    return out;
  });
}

/** What was sent between two readings of audioSent, over the connections in both (a call may close between). */
function sentBetween(before, after) {
  return Object.entries(after).reduce((sum, [i, bytes]) => sum + Math.max(0, bytes - (before[i] ?? bytes)), 0);
}

/**
 * Everyone joins voice (the panel's button); once each hears all the others, each member's audio upload is
 * measured over `ms` (bytes/s; in a mesh each sends its voice to every other member). Everyone leaves again.
 */
export async function voiceUpload(members, ms, { timeout = 60_000 } = {}) {
  for (const m of members) await m.page.getByRole('button', { name: /join voice/i }).click();
  const deadline = Date.now() + timeout;
  const hearing = async () => {
    const got = await Promise.all(members.map((m) => m.page.evaluate(() => window.__flmnchllSync.bytesReceived())));
    return got.map((g) => Object.values(g).filter((b) => b > 0).length);
  };
  let heard = await hearing();
  while (Date.now() < deadline && heard.some((n) => n < members.length - 1)) {
    await new Promise((r) => setTimeout(r, 500));
    heard = await hearing();
  }
  const before = await Promise.all(members.map(audioSent));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const after = await Promise.all(members.map(audioSent));
  const seconds = (Date.now() - t0) / 1000;
  const received = await Promise.all(members.map((m) => m.page.evaluate(() => window.__flmnchllSync.bytesReceived())));
  const streamsReceived = received.map((r) => Object.values(r).filter((b) => b > 0).length);
  // where a stream is missing, the state of every connection of each page (its links and its calls) says how far
  // the missing call got
  const whole = streamsReceived.every((n) => n >= members.length - 1);
  const connections = whole ? null : await Promise.all(members.map((m) => m.page.evaluate(() => (window.__pcs ?? []).map((pc) => pc.iceConnectionState))));
  for (const m of members) await m.page.getByRole('button', { name: /leave voice/i }).click().catch(() => {});
  return {
    heard,
    uploadBytesPerS: after.map((a, i) => sentBetween(before[i], a) / seconds),
    streamsReceived,
    connections,
  };
}
