// Driven by bench/sync.py: members of one room in one chromium (a context each) take random play / pause /
// seek commands, then one member joins again late, everyone chats, and everyone talks; prints one line
// `RESULT {json}` with the raw figures (ms), which sync.py turns into a table.
// Environment: FRONT_URL, SYNC_ROOM, SYNC_USERS (JSON [{token, user}]), SYNC_COMMANDS, SYNC_SEED,
// SYNC_DURATION (film length, s); optional: SYNC_NETWORK (JSON, one link per member from bench/netem.py: the
// members then go through their impairment relays and emulated HTTP), SYNC_VOICE_S (seconds of voice to
// measure, 0 = none), SYNC_DUMP (a file for every raw sample and media event, and
// each page's frames over 50 ms with the scripts in them), SYNC_TRACE (a chromium trace
// of the commands, to see what the processes were doing), SYNC_VIA ('controls', the default: members press the
// app's controls; 'element': they act on the <video> itself, as a page script would).
// All pages run on this machine, so performance.timeOrigin + performance.now() is one clock for all of them,
// and the same as the server's: positions are compared on it, whatever each page thinks the time is.

import { writeFileSync } from 'node:fs';
import { FRONT_URL, launchRoomBrowser, waitFor } from '../tests/browser/lib/browser.mjs';
import { memberPage } from '../tests/browser/lib/member.mjs';
import { openShapedMember } from '../tests/browser/lib/network.mjs';
import { act, chatDelivery, lateJoin, pageTimeline, sendChat, spreadOf, trueDrift, voiceUpload } from '../tests/browser/lib/watch.mjs';

const ROOM = process.env.SYNC_ROOM;
const USERS = JSON.parse(process.env.SYNC_USERS || '[]');
const COMMANDS = Number(process.env.SYNC_COMMANDS || '50');
const DURATION = Number(process.env.SYNC_DURATION || '120');
const NETWORK = process.env.SYNC_NETWORK ? JSON.parse(process.env.SYNC_NETWORK) : null;
const VOICE_S = Number(process.env.SYNC_VOICE_S || '0');
const VIA = process.env.SYNC_VIA || 'controls';
const STEADY_AFTER_MS = 1500; // a command's transient: samples before this are not steady state
const EVENT_WAIT_MS = 3000;
const CHAT_LINES = 4;

let seed = Number(process.env.SYNC_SEED || '1') >>> 0;
function random() {
  // mulberry32: the same commands for the same seed
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const look = (m) =>
  m.page.evaluate(() => {
    const v = document.querySelector('video');
    const s = window.__flmnchllSync;
    return {
      paused: v.paused,
      readyState: v.readyState,
      playing: Boolean(s.state?.playing),
      expected: s.expectedPosition(),
      drift: (v.currentTime - s.expectedPosition()) * 1000,
      links: s.links.length,
      status: s.status,
      seeks: s.correctiveSeeks,
      offset: s.offset,
    };
  });

/** What an engine last sent or received, with its clock offset (server − local, ms). */
const lastCommand = (m) =>
  m.page.evaluate(() => ({ cmd: window.__flmnchllSync.lastCommand, offset: window.__flmnchllSync.offset }));

/**
 * Where each receiver's delay went (ms, on the one local clock all pages share): `notice` from the issuing
 * press to the issuer's engine making the command (its controls report it), `wire` from there to the
 * receiver's engine having it (data channel), `call` from there to its page's call on the media (play(), pause(),
 * setting currentTime: where the command takes effect in the media pipeline), `react` from there to the
 * receiver's media event. Null where the receiver missed the event or holds another command.
 */
async function breakdown(issuer, others, issued, type, delays) {
  const sent = await lastCommand(issuer);
  const own = await issuer.page.evaluate(
    ([ty, t0]) => window.__events.find((e) => e.type === ty && e.t >= t0 - 1) ?? null,
    [type, issued],
  );
  const made = sent.cmd && sent.cmd.origin === 'local' ? sent.cmd.issued - sent.offset : null;
  const got = await Promise.all(others.map(lastCommand));
  const called = await Promise.all(
    others.map((m, i) =>
      got[i].cmd
        ? m.page.evaluate(([ty, t0]) => window.__calls.find((c) => c.type === ty && c.t >= t0 - 1) ?? null, [type, got[i].cmd.received - got[i].offset])
        : null,
    ),
  );
  return got.map((r, i) => {
    if (made === null || made < issued - 1 || delays[i] === null || !r.cmd || r.cmd.id !== sent.cmd.id) return null;
    const received = r.cmd.received - r.offset;
    const event = issued + delays[i];
    return {
      own: own ? own.t - issued : null,
      notice: made - issued,
      wire: received - made,
      call: called[i] && called[i].t <= event ? called[i].t - received : null,
      react: event - received,
    };
  });
}

async function openMember(browser, i) {
  const { context, page, started } = await openShapedMember(browser, {
    baseURL: FRONT_URL,
    path: `/rooms/${ROOM}`,
    init: { script: memberPage, options: { ...USERS[i], drift: true, mediaCalls: true, longFrames: Boolean(process.env.SYNC_DUMP) } },
    link: NETWORK ? NETWORK[i] : null,
  });
  await page.locator('video').waitFor({ state: 'attached', timeout: 60_000 });
  return { i, context, page, started, link: NETWORK ? NETWORK[i] : null };
}

async function main() {
  const browser = await launchRoomBrowser();
  const timer = setTimeout(() => {
    console.error('bench/sync.mjs: gave up after 12 minutes');
    process.exit(2);
  }, 720_000);
  try {
    const members = await Promise.all(USERS.map((_, i) => openMember(browser, i)));
    const all = () => Promise.all(members.map(look));
    await waitFor(async () => (await all()).every((s) => s.links >= members.length - 1 && s.readyState >= 2), {
      timeout: 180_000,
      message: 'members linked and the film loaded',
    }).catch(async (err) => {
      // which member is missing which: its links, its film's readiness, its connection to the signalling server
      const states = await all().catch(() => []);
      console.error(`members then: ${states.map((s, i) => `${i}: ${s.links} links, ready ${s.readyState}, ${s.status}`).join('; ')}`);
      throw err;
    });
    const EVENT = { play: 'play', pause: 'pause', seek: 'seeking' };

    // start, and wait for the room to settle on its timeline before measuring
    await act(members[0], 'play', undefined, VIA);
    await waitFor(async () => {
      const states = await all();
      if (process.env.SYNC_DEBUG) console.error(JSON.stringify(states.map((s) => [s.paused, Math.round(s.drift), s.readyState, s.offset])));
      return states.every((s) => !s.paused && Math.abs(s.drift) < 20);
    }, {
      timeout: 30_000,
      interval: 250,
      message: 'the room playing on its timeline',
    });
    const startSeeks = (await all()).map((s) => s.seeks);
    if (process.env.SYNC_TRACE) {
      await browser.startTracing(undefined, {
        path: process.env.SYNC_TRACE,
        categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'media', 'v8', 'blink', 'cc', 'viz', 'scheduler'],
      });
    }
    const startedAt = await members[0].page.evaluate(() => window.__now());

    const commands = [];
    const windows = []; // [from, to] of steady state: a while after each command until the next one
    let playing = true;
    for (let n = 0; n < COMMANDS; n += 1) {
      const issuer = pick(members);
      const state = await look(issuer);
      playing = state.playing;
      let action = playing ? pick(['pause', 'seek', 'seek']) : pick(['play', 'play', 'seek']);
      let x = 5 + random() * (DURATION - 30);
      if (playing && state.expected > DURATION - 20) action = 'seek';
      if (action !== 'seek') x = undefined;
      const issued = await act(issuer, action, x, VIA);
      if (windows.length) windows[windows.length - 1][1] = issued;
      windows.push([issued + STEADY_AFTER_MS, Infinity]);
      const others = members.filter((m) => m !== issuer);
      const delays = await Promise.all(
        others.map(async (m) => {
          const e = await m.page.evaluate(([ty, t0, ms]) => window.__eventAfter(ty, t0, ms), [EVENT[action], issued, EVENT_WAIT_MS]);
          return e ? e.t - issued : null;
        }),
      );
      const parts = await breakdown(issuer, others, issued, EVENT[action], delays);
      // each member's learnt start-up and seek latencies (ms) after the command, for the raw figures
      const learnt = await Promise.all(
        members.map((m) => m.page.evaluate(() => window.__flmnchllSync.stats()).then((st) => [st.playLatencyMs, st.seekLatencyMs])),
      );
      commands.push({ n, by: issuer.i, to: others.map((m) => m.i), action, x, delays, parts, learnt });
      await sleep(2000 + random() * 2000);
    }
    if (process.env.SYNC_TRACE) await browser.stopTracing();
    // the room plays for the late joiner
    if (!(await look(members[0])).playing) await act(members[0], 'play', undefined, VIA);
    const endedAt = await members[0].page.evaluate(() => window.__now());
    windows[windows.length - 1][1] = endedAt;
    const endSeeks = (await all()).map((s) => s.seeks);
    const offsets = (await all()).map((s) => s.offset);
    const samples = await Promise.all(members.map((m) => m.page.evaluate(() => window.__drift)));
    const steady = (t) => t >= startedAt && windows.some(([a, b]) => t >= a && t < b);
    const minutes = (endedAt - startedAt) / 60_000;

    // a member leaves and comes back (a late joiner), while the room plays
    await sleep(2500);
    const joiner = members[members.length - 1];
    await joiner.context.close();
    const back = await openMember(browser, joiner.i);
    members[members.length - 1] = back;
    const join = await lateJoin(back, members.slice(0, -1), { timeout: 45_000 });
    // for the dump: what the late joiner's page fetched, and when (ms from its load event): where its wait went
    const joinFetches = process.env.SYNC_DUMP ? await pageTimeline(back) : null;

    // every member writes a few lines at about the same time
    await waitFor(async () => (await all()).every((s) => s.links >= members.length - 1), { timeout: 30_000, message: 'linked again' });
    const sent = await Promise.all(members.map((m) => sendChat(m, CHAT_LINES, `${m.i}`)));
    const chat = await chatDelivery(members, sent.flat(), { timeout: 20_000 });

    // (on a machine too busy for everyone's voice to connect, the rest of the figures still stand)
    const voice = VOICE_S > 0 ? await voiceUpload(members, VOICE_S * 1000).catch((err) => ({ error: String(err.message ?? err) })) : null;

    // what each member's player played: hls.js (a MediaSource blob), the browser's own HLS, or a file
    const playback = await Promise.all(
      members.map((m) =>
        m.page.evaluate(() => {
          const src = document.querySelector('video')?.currentSrc ?? '';
          return src.startsWith('blob:') ? 'hls.js' : src.includes('.m3u8') ? 'native HLS' : 'progressive file';
        }),
      ),
    );
    const result = {
      members: members.length,
      playback,
      network: NETWORK,
      commands,
      via: VIA,
      propagation: commands.flatMap((c) => c.delays.filter((d) => d !== null)),
      missed: commands.reduce((k, c) => k + c.delays.filter((d) => d === null).length, 0),
      drift: trueDrift(samples, steady),
      engineDrift: samples.flatMap((list) => list.filter((s) => steady(s.t)).map((s) => Math.abs(s.d))),
      spread: spreadOf(samples, steady, members.length),
      offsets,
      minutes,
      correctiveSeeks: endSeeks.map((e, i) => e - startSeeks[i]),
      join,
      chat,
      voice,
    };
    if (process.env.SYNC_DUMP) {
      const events = await Promise.all(members.map((m) => m.page.evaluate(() => window.__events)));
      const longFrames = await Promise.all(members.map((m) => m.page.evaluate(() => window.__longFrames)));
      writeFileSync(process.env.SYNC_DUMP, JSON.stringify({ ...result, startedAt, endedAt, windows, samples, events, joinFetches, longFrames }));
    }
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    clearTimeout(timer);
    await browser.close();
  }
}

await main();
