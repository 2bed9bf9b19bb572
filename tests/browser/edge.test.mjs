// A room on a film still being encoded: three members watch an upload whose HLS playlists still grow. Nobody
// may seek past what is encoded (a script's currentTime or the keyboard: clamped, with a message in the room; the
// seek bar ends at the edge), a playing room never runs past what is encoded (it waits there when the encoder is
// slower than the film), and a member forced onto the lowest rung stays in step with the others. Driven by
// tests/browser/test_edge.py, which uploads the film and hands over in the environment:
//   FRONT_URL, EDGE_ROOM (room id), EDGE_CONTENT (item id), EDGE_ADMIN_TOKEN (to read the item and its
//   playlists as published), EDGE_DURATION (the source's length, s), SYNC_USERS (JSON, 3 × {token, user}).
// What is encoded is read from the published playlists themselves, independently of the pages. Setup waits are
// generous (a loaded 2-core machine encodes and plays at once); the assertions are the promises.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FRONT_URL, launchRoomBrowser, screenshot, testNoCspViolation, waitFor } from './lib/browser.mjs';
import { openRoomMember } from './lib/member.mjs';
import { act } from './lib/watch.mjs';

const ROOM = process.env.EDGE_ROOM;
const CONTENT = process.env.EDGE_CONTENT;
const ADMIN_TOKEN = process.env.EDGE_ADMIN_TOKEN;
const DURATION = Number(process.env.EDGE_DURATION || '600');
const USERS = JSON.parse(process.env.SYNC_USERS || '[]');

/** A member on another rung must stay this close to the others (ms). */
const IN_STEP_MS = 100;
/** Paused members show the same position, this close (s). */
const PAUSED_SPREAD_S = 0.05;
/** A member plays no further than what is encoded of its rung, but for rounding (s). */
const ROUNDING_S = 0.05;
/** hls.js reloads a growing playlist every target duration (2 s), plus the room's margin: how far behind the
 * published edge a clamped seek may land (s). */
const EDGE_LAG_S = 4.5;
const CLAMPED = 'the film is encoded only up to there';
const WAITING = 'for more of the film to be encoded';

let browser;
const members = [];

const openMember = (index) => openRoomMember(browser, USERS[index], `/rooms/${ROOM}`, members, { timeout: 60_000 });

/** What a member's page shows now. */
function look(member) {
  return member.page.evaluate(() => {
    const v = document.querySelector('video');
    const s = window.__flmnchllSync;
    const stats = s.stats();
    return {
      t: window.__now(),
      pos: v.currentTime,
      rate: v.playbackRate,
      paused: v.paused,
      seeking: v.seeking,
      readyState: v.readyState,
      height: v.videoHeight,
      links: s.links.length,
      playing: s.state?.playing ?? null,
      drift: stats.driftMs,
      holding: stats.holding,
      encoder: stats.waitingForEncoder,
    };
  });
}

const looks = (list) => Promise.all(list.map(look));

/** The room's chat lines containing `text`, as a member's session has them. */
function linesWith(member, text) {
  return member.page.evaluate((t) => window.__flmnchllSync.chat().filter((l) => l.text.includes(t)).map((l) => l.text), text);
}

/** The item as the library lists it, and how far each of its rungs is published: [{height, edge, ended}]. */
async function published() {
  const headers = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  const item = await (await fetch(`${FRONT_URL}/function/list-content/${CONTENT}`, { headers })).json();
  const masterUrl = new URL(item.stream.url, `${FRONT_URL}/`);
  const master = (await (await fetch(masterUrl)).text()).split('\n').map((l) => l.trim());
  const rungs = [];
  for (let i = 0; i < master.length; i += 1) {
    if (!master[i].startsWith('#EXT-X-STREAM-INF:')) continue;
    const height = Number(/RESOLUTION=\d+x(\d+)/.exec(master[i])?.[1] ?? 0);
    const playlist = await (await fetch(new URL(master[i + 1], masterUrl))).text();
    const edge = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    rungs.push({ height, edge, ended: playlist.includes('#EXT-X-ENDLIST') });
  }
  return { status: item.status, playable: item.playable, rungs };
}

/** How far the rung a member shows (by its picture's height) is published; both codecs' streams of that size. */
function edgeOf(state, height) {
  const same = state.rungs.filter((r) => r.height === height);
  assert.ok(same.length > 0, `no published rung of height ${height}: ${JSON.stringify(state.rungs)}`);
  return Math.max(...same.map((r) => r.edge));
}

/** Waits until every member is paused and still, on one position (where `wanted` says); returns their looks. */
async function pausedTogether(list, wanted = () => true, timeout = 30_000) {
  let last = null;
  try {
    return await waitFor(
      async () => {
        const s = await looks(list);
        last = s;
        const positions = s.map((x) => x.pos);
        const still = s.every((x) => x.paused && !x.seeking && x.playing === false && wanted(x.pos));
        return still && Math.max(...positions) - Math.min(...positions) <= PAUSED_SPREAD_S ? s : null;
      },
      { timeout, message: 'every member paused on one position' },
    );
  } catch (err) {
    const events = await Promise.all(list.map((m) => m.page.evaluate(() => window.__events.slice(-8).map((e) => `${e.type}@${e.pos.toFixed(2)}`))));
    throw new Error(`${err.message}\nlooks: ${JSON.stringify(last)}\nlast media events: ${JSON.stringify(events)}`);
  }
}

/** A seek by script well within what is encoded: the room pauses there. */
async function seekBack(member, position) {
  await act(member, 'seek', position, 'element');
  await pausedTogether(members, (p) => Math.abs(p - position) <= PAUSED_SPREAD_S);
  return position;
}

/**
 * A seek past what is encoded, done by `how` on `member`'s page: every member lands on one position within
 * what is encoded of its own rung, near the edge, and the room says why (one more line for everyone).
 */
async function assertClamped(member, how, seek) {
  const before = await published();
  // (each member plays the rung hls.js picked for it, so the room is at most as far as the slowest rung)
  const lowest = Math.min(...before.rungs.map((r) => r.edge));
  const linesBefore = await Promise.all(members.map((m) => linesWith(m, CLAMPED)));
  // past where the room stands (by 2 s when the encode is well ahead; on a busy machine it may be only a segment
  // or two ahead of the room, and landing near the edge is then what counts, checked below)
  const from = Math.min(Math.max(...(await looks(members)).map((x) => x.pos)) + 2, lowest - EDGE_LAG_S);
  await seek();
  // the member who asked for more than is encoded sees why on the player (a notice shows for a few seconds)
  const notice = member.page.locator('.rt-notice', { hasText: CLAMPED }).first().waitFor({ timeout: 10_000 }).then(() => true, () => false);
  const landed = await pausedTogether(members, (p) => p >= from);
  const now = await published();
  for (const [i, s] of landed.entries()) {
    const edge = edgeOf(now, s.height);
    assert.ok(s.pos <= edge + ROUNDING_S, `${how}: ${members[i].name} landed at ${s.pos}, past the ${edge} s encoded of its rung`);
    assert.ok(s.pos >= lowest - EDGE_LAG_S, `${how}: ${members[i].name} landed at ${s.pos}, far before the edge (${lowest} s)`);
  }
  assert.equal(now.status, 'processing', `${how}: the film finished encoding during the test; it says nothing of the edge`);
  for (const [i, m] of members.entries()) {
    await waitFor(async () => (await linesWith(m, CLAMPED)).length > linesBefore[i].length, {
      timeout: 10_000,
      message: `${m.name}: the room's message about the clamped seek (${how})`,
    });
  }
  assert.ok(await notice, `${how}: no notice on the player of the member who seeked`);
  console.log(`${how}: clamped to ${landed[0].pos.toFixed(2)} s (published edges ${now.rungs.map((r) => `${r.height}p ${r.edge.toFixed(1)}`).join(', ')})`);
  return landed[0].pos;
}

before(async () => {
  assert.ok(ROOM && CONTENT && ADMIN_TOKEN && USERS.length >= 3, 'EDGE_ROOM, EDGE_CONTENT, EDGE_ADMIN_TOKEN and 3 SYNC_USERS are required');
  browser = await launchRoomBrowser();
});

after(async () => {
  if (process.exitCode) {
    for (const m of members) await screenshot(m.page, `edge-${m.name}`).catch(() => {});
  }
  for (const m of members) if (m.errors.length) console.log(`page errors of ${m.name}:`, m.errors.slice(0, 5));
  await browser?.close();
});

let a;
let b;
let c;

test('an upload still being encoded is watchable in a room', { timeout: 240_000 }, async () => {
  [a, b, c] = await Promise.all([openMember(0), openMember(1), openMember(2)]);
  await waitFor(async () => (await looks(members)).every((s) => s.links >= 2), { timeout: 60_000, message: 'members linked' });
  await waitFor(async () => (await looks(members)).every((s) => s.readyState >= 2), { timeout: 90_000, message: 'the film loaded' });
  const state = await published();
  assert.equal(state.status, 'processing', 'the film finished encoding before the room opened');
  assert.ok(state.rungs.every((r) => !r.ended), `a rung is complete already: ${JSON.stringify(state.rungs)}`);
  await act(a, 'play', undefined, 'element');
  // everyone's picture moves on (waits for the encoder included)
  await waitFor(async () => (await looks(members)).every((s) => s.pos >= 2), { timeout: 90_000, message: 'every member playing the film' });
  for (const m of members) {
    assert.equal(await m.page.getByText('This video is still being prepared.').count(), 0, `${m.name} shows no film`);
    assert.equal(await m.page.locator('.player .error').count(), 0, `${m.name} shows a player error`);
  }
});

test('a member forced onto the lowest rung stays within 100 ms of the others', { timeout: 240_000 }, async () => {
  const quality = c.page.getByLabel('Quality', { exact: true });
  const options = await quality.locator('option').evaluateAll((list) => list.map((o) => o.value));
  const lowest = options.at(-1);
  assert.ok(options.length >= 3 && Number(lowest) > 0, `the quality menu has no rungs to choose: ${options}`);
  await quality.selectOption(lowest);
  // a stretch every member's rung is well past, so that the room plays on steadily for a while, and that nobody
  // has played yet: what a member played before keeps the rung it was loaded on (hls.js keeps its back buffer),
  // and the forced member would show its old frames there
  const limit = await a.page.evaluate(() => window.__flmnchllSync.stats().playableLimit);
  const played = Math.max(...(await looks(members)).map((x) => x.pos));
  const start = Math.max(played + 2, Number.isFinite(limit) ? limit - 60 : 0);
  await act(a, 'seek', start, 'element');
  await act(a, 'play', undefined, 'element');
  await waitFor(async () => (await look(c)).height === Number(lowest), { timeout: 60_000, message: `the forced member showing ${lowest}p` });
  const samples = [];
  let steadySince = null;
  let unsteady = 0;
  const deadline = Date.now() + 150_000;
  while (samples.length < 6 && Date.now() < deadline) {
    const s = await looks([a, b, c]);
    // steady play: everyone moving with data, nobody waited for, every engine on its timeline (not correcting)
    const steady = s.every((x) => x.playing && !x.paused && !x.seeking && x.readyState >= 3 && !x.holding && Math.abs(x.drift) <= 60);
    if (!steady) {
      steadySince = null;
      unsteady += 1;
    } else {
      steadySince ??= Date.now();
      if (Date.now() - steadySince >= 2000) {
        // every page's position carried to one instant (the pages share this machine's clock)
        const at = Math.max(...s.map((x) => x.t));
        const [pa, pb, pc] = s.map((x) => x.pos + ((at - x.t) / 1000) * x.rate);
        samples.push({ off: Math.round((pc - (pa + pb) / 2) * 1000), apart: Math.round(Math.abs(pa - pb) * 1000), height: s[2].height });
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log('lowest rung vs the others (ms):', JSON.stringify(samples), `(${unsteady} unsteady looks)`, 'now', JSON.stringify(await looks([a, b, c])));
  assert.ok(samples.length >= 6, `the room never played steadily long enough to compare (${samples.length} samples)`);
  for (const s of samples) {
    assert.equal(s.height, Number(lowest), 'the forced member left its rung');
    assert.ok(Math.abs(s.off) <= IN_STEP_MS, `the member on ${lowest}p was ${s.off} ms off the others: ${JSON.stringify(samples)}`);
  }
});

test('a seek past the encoded edge is clamped to it for everyone, with a message in the room', { timeout: 150_000 }, async () => {
  await act(b, 'pause', undefined, 'element');
  await pausedTogether(members);
  const byScript = await assertClamped(c, 'currentTime set by a script', () => act(c, 'seek', DURATION - 5, 'element'));
  // from a little before the edge, 10 s jumps by keyboard (as many as it takes the encoder being fast) and the
  // seek bar's end go past it
  await seekBack(a, byScript - 6);
  const byKeys = await assertClamped(a, 'the l key', async () => {
    await a.page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    for (let i = 0; i < 40; i += 1) await a.page.keyboard.press('l');
  });
  assert.ok(byKeys >= byScript - ROUNDING_S, `the keyboard's jump landed at ${byKeys}, before the edge at ${byScript}`);
  // the seek bar ends where this member's rung is encoded so far: a click at its very end never takes the room
  // past the edge
  const before = await seekBack(a, byKeys - 6);
  const bar = b.page.getByLabel('Seek', { exact: true });
  const box = await bar.boundingBox();
  // (at 99 % of its width: headless chromium delivers no event at all to a click on the bar's very last pixels)
  await bar.click({ position: { x: box.width * 0.99, y: box.height / 2 } });
  await new Promise((r) => setTimeout(r, 2000));
  const landed = await pausedTogether(members);
  const now = await published();
  for (const [i, s] of landed.entries()) {
    const edge = edgeOf(now, s.height);
    assert.ok(s.pos <= edge + ROUNDING_S, `the seek bar: ${members[i].name} landed at ${s.pos}, past the ${edge} s encoded of its rung`);
    assert.ok(s.pos > before + 3, `the seek bar: ${members[i].name} stayed at ${s.pos} (from ${before}): the click did not seek`);
  }
  const slider = await b.page.evaluate(() => {
    const input = document.querySelector('input[type=range]');
    return { value: input.value, max: input.max, duration: document.querySelector('video').duration };
  });
  console.log(`the seek bar's end: the room at ${landed[0].pos.toFixed(2)} s (slider ${JSON.stringify(slider)})`);
});

test('from the encoded edge the room plays on no further than what is encoded, waiting for the encoder when it must', { timeout: 150_000 }, async () => {
  const [{ pos }] = await looks(members);
  await seekBack(a, pos - 6);
  await act(a, 'play', undefined, 'element');
  await waitFor(async () => (await looks(members)).every((x) => x.playing && !x.paused), { timeout: 30_000, message: 'the room playing' });
  // a seek past the edge while playing: everyone starts again right at the edge
  const linesBefore = await linesWith(a, CLAMPED);
  const waitsBefore = await linesWith(a, WAITING);
  await act(a, 'seek', DURATION - 5, 'element');
  await waitFor(async () => (await linesWith(a, CLAMPED)).length > linesBefore.length, { timeout: 15_000, message: 'the clamped seek' });
  const edge = Math.min(...(await published()).rungs.map((r) => r.edge));
  let waited = false;
  let furthest = 0;
  const deadline = Date.now() + 120_000;
  // until everyone plays steadily past where the edge was
  for (;;) {
    const s = await looks(members);
    const now = await published();
    for (const [i, x] of s.entries()) {
      const encoded = edgeOf(now, x.height);
      assert.ok(x.pos <= encoded + ROUNDING_S, `${members[i].name} plays at ${x.pos}, past the ${encoded} s encoded of its rung`);
    }
    waited ||= s.some((x) => x.encoder);
    furthest = Math.min(...s.map((x) => x.pos));
    if (s.every((x) => x.playing && !x.paused && !x.holding) && furthest >= edge + 2) break;
    assert.ok(Date.now() < deadline, `the room did not go on past ${edge} s: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  waited ||= (await linesWith(a, WAITING)).length > waitsBefore.length;
  console.log(`from the edge (${edge.toFixed(2)} s) the room played on past ${furthest.toFixed(2)} s; ${waited ? 'it waited for the encoder' : 'more was encoded in time, no wait'}`);
});

testNoCspViolation();
