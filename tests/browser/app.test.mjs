// The browser app against a running stack, as people use it: sign-up and log-in, the library and solo
// playback (its HLS stream through hls.js, and the progressive file in a browser without Media Source
// Extensions), an admin's upload through processing to a title edit that viewers see, the dashboard's numbers,
// and a room with a PIN, its members and its chat.
//
// Env: FRONT_URL (the front door), ADMIN_PASSWORD, ARTIFACTS_DIR (screenshots); GATEWAY_URL (optional: the
// accounts that are not signed up through the form are then made on the gateway, see lib/browser.mjs).
//
// Run: node --test --test-reporter=spec tests/browser/app.test.mjs

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  FRONT_URL,
  launchPage,
  loggedInUser,
  login,
  screenshot,
  submitLogin,
  submitSignup,
  testNoCspViolation,
  uniqueName,
  waitFor,
  waitSignedIn,
} from './lib/browser.mjs';

const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD;
const DEMO_TITLE = 'Welcome to FLMnCHLL';
const VIEW_AFTER_SECONDS = Number(process.env.VIEW_AFTER_SECONDS || 5);

const sessions = [];
const createdUsers = [];
const state = {
  adminToken: '',
  baseline: null,
  demoId: '',
  viewer: null,
  clipDir: '',
};

// --- helpers ---------------------------------------------------------------------------------------------

async function api(fn, { path = '', method = 'GET', token, body, base = FRONT_URL, headers = {} } = {}) {
  const response = await fetch(`${base}/function/${fn}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

async function stats() {
  const res = await api('stats', { token: state.adminToken });
  assert.equal(res.status, 200, `stats: ${res.text}`);
  return res.json;
}

function viewsOf(doc, contentId) {
  return doc.views_per_video.find((row) => row.content_id === contentId)?.views ?? 0;
}

async function browser(label) {
  const session = await launchPage();
  session.label = label;
  sessions.push(session);
  return session;
}

/** A person with a new account, logged in through the form in a browser of their own. */
async function personLoggedIn(prefix) {
  const person = await loggedInUser(prefix);
  person.label = person.username;
  sessions.push(person);
  createdUsers.push(person.username);
  return person;
}

/** `host` makes a room with no film from the rooms page; returns the room page's address once it shows. */
async function roomMadeBy(host, roomName) {
  await host.page.goto(`${FRONT_URL}/rooms`);
  const form = host.page.getByRole('form', { name: 'Create a room' });
  await form.locator('input[name="name"]').fill(roomName);
  await form.getByRole('button', { name: 'Create room' }).click();
  await host.page.getByRole('heading', { level: 1, name: roomName }).waitFor();
  return host.page.url();
}

async function videoState(page) {
  return page.locator('video').evaluate((v) => ({
    currentTime: v.currentTime,
    paused: v.paused,
    ended: v.ended,
    readyState: v.readyState,
    duration: v.duration,
    error: v.error ? v.error.code : null,
    src: v.currentSrc,
  }));
}

function makeClip(dir) {
  const path = join(dir, 'browser-upload.mp4');
  // 8 s of test pattern and tone at a generous bitrate, so the upload takes long enough to show progress.
  // 4:2:2 chroma, which browsers don't play, so every rendition is a real encode and the admin gets to see
  // it processing (a browser-ready clip this small is remuxed and ready in about a second).
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=8',
    '-f', 'lavfi', '-i', 'sine=frequency=440:duration=8',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '1500k', '-pix_fmt', 'yuv422p',
    '-c:a', 'aac', '-shortest', path,
  ]);
  return path;
}

// --- set-up ------------------------------------------------------------------------------------------------

before(async () => {
  assert.ok(ADMIN_PASSWORD, 'ADMIN_PASSWORD is required');
  const res = await api('login', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } });
  assert.equal(res.status, 200, `admin login: ${res.text}`);
  state.adminToken = res.json.token;
  const list = await api('list-content', { path: `?q=${encodeURIComponent(DEMO_TITLE)}&per_page=10`, token: state.adminToken });
  const demo = list.json?.items?.find((item) => item.title === DEMO_TITLE && item.status === 'ready');
  assert.ok(demo, `the demo video must be seeded and ready: ${list.text.slice(0, 400)}`);
  state.demoId = demo.id;
  state.baseline = await stats();
  state.clipDir = mkdtempSync(join(tmpdir(), 'flmnchll-browser-'));
});

after(async () => {
  for (const session of sessions.reverse()) await session.close().catch(() => {});
  if (state.clipDir) rmSync(state.clipDir, { recursive: true, force: true });
});

// --- flows -------------------------------------------------------------------------------------------------

test('a new user signs up, logs in, finds the demo video and plays it alone', async () => {
  const session = await browser('newcomer');
  const { page } = session;
  const username = uniqueName('newcomer');
  const password = 'a long enough password';

  await page.goto(`${FRONT_URL}/`);
  // Signed out, the app sends people to the log-in screen.
  await page.waitForURL(/\/login/);
  await screenshot(page, '01-login');

  await submitSignup(page, username, password);
  await waitSignedIn(page);
  createdUsers.push(username);
  await screenshot(page, '02-after-signup');

  // Log out, then log back in through the form.
  await page.getByRole('button', { name: /log out/i }).click();
  await page.waitForURL(/\/login/);
  await page.locator('input[name="username"]').waitFor();
  await submitLogin(page, username, password);
  await waitSignedIn(page);
  await assert.doesNotReject(page.getByRole('navigation', { name: 'Main' }).getByText(username, { exact: true }).waitFor());

  // The library finds the demo video, with its title and duration (searched for: the test instance keeps
  // what earlier runs uploaded, newest first, so after a few dozen runs the demo is no longer on page one).
  await page.goto(`${FRONT_URL}/?q=${encodeURIComponent(DEMO_TITLE)}`);
  const card = page.locator('.content-card').filter({ hasText: DEMO_TITLE });
  await card.first().waitFor();
  assert.match(await card.first().locator('.duration').innerText(), /^0:0[78]$/);
  await screenshot(page, '03-library');

  await card.first().locator('a.content-link').click();
  await page.getByRole('heading', { level: 1, name: DEMO_TITLE }).waitFor();
  await screenshot(page, '04-item');

  await page.getByRole('link', { name: /watch alone/i }).first().click();
  await page.waitForURL(new RegExp(`/watch/${state.demoId}`));
  await page.locator('video').first().waitFor({ state: 'attached' });
  assert.equal(await page.locator('video').count(), 1, 'the player is the page\'s one <video>');

  // It plays its HLS stream through hls.js (Media Source Extensions: the element's source is a blob: URL),
  // and currentTime advances past the seconds that earn a view.
  const started = await waitFor(async () => {
    const v = await videoState(page);
    return v.currentTime > 0.3 && !v.paused ? v : null;
  }, { timeout: 20_000, message: 'the video to start playing' });
  assert.match(started.src, /^blob:/, `the stream plays through hls.js: ${started.src}`);
  // The quality menu names the rung automatic quality plays, then lists every rung.
  const quality = page.getByRole('combobox', { name: 'Quality' });
  await waitFor(async () => /^Auto \(\d+p/.test(await quality.locator('option').first().innerText()), {
    message: 'the quality menu to name the rung in use',
  });
  assert.ok((await quality.locator('option').count()) >= 2, 'Auto and at least one rung');
  await screenshot(page, '05-watch');
  const played = await waitFor(async () => {
    const v = await videoState(page);
    return v.currentTime >= Math.min(VIEW_AFTER_SECONDS + 1, 7.5) || v.ended ? v : null;
  }, { timeout: 20_000, message: 'the video to play on' });
  assert.ok(played.currentTime > started.currentTime + 3, `currentTime advanced: ${started.currentTime} -> ${played.currentTime}`);

  // Pausing reports the played seconds; the view shows up in the statistics.
  const reported = page.waitForResponse(
    (r) => r.url().includes(`/function/content/${state.demoId}/progress`) && r.request().method() === 'POST',
  );
  await page.locator('video').evaluate((v) => v.pause());
  assert.equal((await reported).status(), 200);
  await waitFor(async () => viewsOf(await stats(), state.demoId) >= viewsOf(state.baseline, state.demoId) + 1, {
    timeout: 15_000,
    message: 'the view of the demo to be counted',
  });
  state.viewer = session;
});

test('a browser without Media Source Extensions or native HLS plays the progressive file', async () => {
  const person = await personLoggedIn('nomse');
  // before any of the app's scripts: no MSE, and the element says it cannot play an HLS playlist
  await person.context.addInitScript(() => {
    delete window.MediaSource;
    delete window.ManagedMediaSource;
    const canPlayType = HTMLMediaElement.prototype.canPlayType;
    HTMLMediaElement.prototype.canPlayType = function (type) {
      return /mpegurl/i.test(type) ? '' : canPlayType.call(this, type);
    };
  });
  await person.page.goto(`${FRONT_URL}/watch/${state.demoId}`);
  assert.equal(await person.page.evaluate(() => typeof window.MediaSource), 'undefined');
  const started = await waitFor(async () => {
    const v = await videoState(person.page);
    return v.currentTime > 0.3 && !v.paused ? v : null;
  }, { timeout: 20_000, message: 'the progressive file to start playing' });
  assert.match(started.src, /\/\d+p\.(mp4|webm)(\?|$)/, `a progressive file plays: ${started.src}`);
  const played = await waitFor(async () => {
    const v = await videoState(person.page);
    return v.currentTime > started.currentTime + 2 ? v : null;
  }, { timeout: 20_000, message: 'the progressive file to play on' });
  assert.ok(!played.error, `no media error: ${played.error}`);
});

test('a wrong password shows the error and keeps the person on the log-in screen', async () => {
  const { page } = await browser('wrong-password');
  await submitLogin(page, state.viewer ? createdUsers[0] : 'admin', 'definitely not the password');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /wrong username or password/i);
  assert.match(page.url(), /\/login/);
  assert.equal(await page.getByRole('button', { name: /log out/i }).count(), 0);
  await screenshot(page, '06-wrong-password');
});

test('an admin uploads a clip with progress, sees it processing then ready, and renames it; a viewer sees the new name', async () => {
  const clip = makeClip(state.clipDir);
  const size = statSync(clip).size;
  const { page, context } = await browser('admin');
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
  await page.getByRole('heading', { level: 1, name: /upload videos/i }).waitFor();

  await page.locator('input[type="file"][name="files"]').setInputFiles(clip);
  const row = page.locator('.upload-row').filter({ hasText: basename(clip) });
  await row.waitFor();
  const title = `Browser clip ${Date.now().toString(36)}`;
  await row.locator('input[name="title"]').fill(title);
  await screenshot(page, '07-upload-ready');

  // A slow uplink, so the progress bar has time to move where a person can see it.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: Math.ceil(size / 3),
  });
  const bar = row.getByRole('progressbar', { name: `Upload of ${basename(clip)}` });
  await page.evaluate(() => {
    window.__uploadSeen = [];
    window.__uploadTimer = setInterval(() => {
      const el = document.querySelector('.upload-row [role="progressbar"]');
      const v = el ? Number(el.getAttribute('aria-valuenow')) : null;
      if (v !== null && window.__uploadSeen.at(-1) !== v) window.__uploadSeen.push(v);
    }, 50);
  });
  await row.getByRole('button', { name: 'Upload', exact: true }).click();
  await waitFor(async () => {
    const v = Number(await bar.getAttribute('aria-valuenow'));
    return v > 0 && v < 100;
  }, { timeout: 15_000, interval: 50, message: 'the upload bar to show partial progress' });
  await screenshot(page, '08-upload-progress');
  await row.getByText('Uploaded. Processing starts now.').waitFor({ timeout: 30_000 });
  const seen = await page.evaluate(() => {
    clearInterval(window.__uploadTimer);
    // One last look: the bar may have filled after the sampler's last tick.
    const el = document.querySelector('.upload-row [role="progressbar"]');
    const v = el ? Number(el.getAttribute('aria-valuenow')) : null;
    if (v !== null && window.__uploadSeen.at(-1) !== v) window.__uploadSeen.push(v);
    return window.__uploadSeen;
  });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assert.equal(seen.at(-1), 100, `the bar ends full: ${seen}`);
  assert.ok(seen.some((v) => v > 0 && v < 100), `the bar moved through partial values: ${seen}`);
  for (let i = 1; i < seen.length; i += 1) assert.ok(seen[i] >= seen[i - 1], `the bar never goes back: ${seen}`);
  await screenshot(page, '09-upload-done');

  // The processing queue shows it processing, then ready.
  await row.getByRole('link', { name: 'See processing' }).click();
  await page.getByRole('heading', { level: 1, name: 'Processing' }).waitFor();
  const item = page.locator('li.admin-item').filter({ has: page.getByRole('link', { name: title, exact: true }) });
  await item.waitFor();
  assert.equal(await item.getAttribute('data-status'), 'processing', 'a fresh upload is shown processing');
  assert.equal((await item.locator('.badge').first().innerText()).trim().toLowerCase(), 'processing');
  await screenshot(page, '10-processing');
  await waitFor(async () => (await item.getAttribute('data-status')) !== 'processing', {
    timeout: 150_000,
    interval: 500,
    message: 'processing to finish',
  });
  assert.equal(await item.getAttribute('data-status'), 'ready', await item.innerText());
  await screenshot(page, '11-ready');

  // Rename it on its edit page.
  await item.getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: `Edit “${title}”` }).waitFor();
  const newTitle = `${title} renamed`;
  await page.locator('#edit-title').fill(newTitle);
  await page.locator('form').filter({ has: page.locator('#edit-title') }).getByRole('button').click();
  await page.getByText('Saved.').waitFor();
  await page.getByRole('heading', { level: 1, name: `Edit “${newTitle}”` }).waitFor();
  await screenshot(page, '12-edited');

  // A viewer, in another browser, finds it under its new name only.
  const viewer = state.viewer ?? (await personLoggedIn('viewer'));
  const vpage = viewer.page;
  await vpage.goto(`${FRONT_URL}/?q=${encodeURIComponent(title)}`);
  const card = vpage.locator('.content-card');
  await card.first().waitFor();
  assert.deepEqual(await card.locator('.content-title').allInnerTexts(), [newTitle]);
  await screenshot(vpage, '13-viewer-sees-new-title');
  await card.first().locator('a.content-link').click();
  await vpage.getByRole('heading', { level: 1, name: newTitle }).waitFor();
});

test('the dashboard shows the numbers of what the tests did', async () => {
  const { page } = await browser('admin-dashboard');
  await login(page, 'admin', ADMIN_PASSWORD);
  await page.goto(`${FRONT_URL}/admin/dashboard`);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  const statValue = async (id) => {
    const text = await page.locator(`[data-stat="${id}"] dd`).innerText();
    const value = Number(text.replace(/[^\d]/g, ''));
    assert.ok(Number.isFinite(value) && /\d/.test(text), `${id} shows a number: ${text}`);
    return value;
  };
  const shown = {
    totalUsers: await statValue('total-users'),
    totalViews: await statValue('total-views'),
    dau: await statValue('dau'),
    mau: await statValue('mau'),
  };
  const now = await stats();
  const base = state.baseline;
  const created = createdUsers.length;
  assert.ok(created >= 1);

  // Every account this file made is counted; nothing counts more than the stats function says right after.
  assert.ok(shown.totalUsers >= base.total_users + created, `total users ${shown.totalUsers} >= ${base.total_users} + ${created}`);
  assert.ok(shown.totalUsers <= now.total_users, `total users ${shown.totalUsers} <= ${now.total_users}`);
  // The newcomer's view of the demo.
  assert.ok(shown.totalViews >= base.total_views + 1, `total views ${shown.totalViews} >= ${base.total_views} + 1`);
  assert.ok(shown.totalViews <= now.total_views);
  // Each new account that logged in is active today (it was not before: it did not exist).
  const loggedIn = createdUsers.length;
  assert.ok(shown.dau >= base.dau + loggedIn, `DAU ${shown.dau} >= ${base.dau} + ${loggedIn}`);
  assert.ok(shown.mau >= shown.dau, `MAU ${shown.mau} >= DAU ${shown.dau}`);
  assert.ok(shown.dau <= now.dau && shown.mau <= now.mau);

  // Views per video: the demo's bar carries its count.
  const demoRow = page.locator('.bar-list li').filter({ has: page.locator('.bar-label', { hasText: DEMO_TITLE }) });
  await demoRow.waitFor();
  const demoViews = Number(await demoRow.locator('.bar-value').innerText());
  assert.ok(demoViews >= viewsOf(base, state.demoId) + 1, `demo views ${demoViews} >= ${viewsOf(base, state.demoId)} + 1`);
  assert.ok(demoViews <= viewsOf(now, state.demoId));
  await screenshot(page, '14-dashboard');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).click();
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await screenshot(page, '15-status');
});

test('a room with a PIN: a wrong PIN is refused, the right one joins, members and chat are shared', async () => {
  const host = await personLoggedIn('host');
  const guest = await personLoggedIn('guest');
  const pin = '4826';
  const roomName = `Movie night ${Date.now().toString(36)}`;

  // The host opens the demo and makes a room with it.
  await host.page.goto(`${FRONT_URL}/content/${state.demoId}`);
  await host.page.getByRole('button', { name: 'Watch with friends' }).click();
  const form = host.page.getByRole('form', { name: 'Create a room' });
  await form.locator('input[name="name"]').fill(roomName);
  await form.locator('input[name="pin"]').fill(pin);
  await form.getByRole('button', { name: 'Create room' }).click();
  await host.page.waitForURL(/\/rooms\/[^/]+$/);
  await host.page.getByRole('heading', { level: 1, name: roomName }).waitFor();
  await host.page.locator('video').first().waitFor({ state: 'attached' });
  const roomId = decodeURIComponent(new URL(host.page.url()).pathname.split('/').pop());
  assert.ok(roomId);
  assert.equal(await host.page.locator('video').count(), 1, 'the room has one <video>');
  await screenshot(host.page, '16-room-host');

  // The guest follows the link: asked for the PIN, a wrong one is refused.
  await guest.page.goto(`${FRONT_URL}/rooms/${encodeURIComponent(roomId)}`);
  await guest.page.getByRole('heading', { level: 1, name: 'This room has a PIN' }).waitFor();
  await screenshot(guest.page, '17-room-pin');
  await guest.page.locator('input[name="pin"]').fill('0000');
  await guest.page.getByRole('button', { name: 'Join' }).click();
  const alert = guest.page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /wrong pin/i);
  assert.equal(await guest.page.getByRole('heading', { level: 1, name: roomName }).count(), 0);
  await screenshot(guest.page, '18-room-wrong-pin');

  await guest.page.locator('input[name="pin"]').fill(pin);
  await guest.page.getByRole('button', { name: 'Join' }).click();
  await guest.page.getByRole('heading', { level: 1, name: roomName }).waitFor();

  // Both see both in the members list (the host's list catches up by its polling).
  const members = (page) => page.locator('section[aria-labelledby="members-h"] .member-name');
  for (const [who, page] of [['host', host.page], ['guest', guest.page]]) {
    await waitFor(async () => {
      const names = await members(page).allInnerTexts();
      return names.includes(host.username) && names.includes(guest.username);
    }, { timeout: 20_000, interval: 250, message: `the ${who} to see both members` });
  }

  // Chat: the guest says something, the host reads it.
  const line = `hello from ${guest.username}`;
  const input = guest.page.locator('input[name="message"]');
  await input.fill(line);
  await input.press('Enter');
  assert.equal(await input.inputValue(), '', 'the chat box empties after sending');
  const hostLog = host.page.getByRole('list', { name: 'Chat messages' });
  await hostLog.locator('.rt-line').filter({ hasText: line }).waitFor({ timeout: 30_000 });
  assert.equal(
    (await hostLog.locator('.rt-line').filter({ hasText: line }).locator('.rt-author').innerText()).trim(),
    guest.username,
  );
  await screenshot(guest.page, '19-room-guest');
  await screenshot(host.page, '20-room-host-chat');
});

test('a room picks its film by vote: a guest proposes, the host votes and plays the winner, then hands over', async () => {
  const host = await personLoggedIn('host');
  const guest = await personLoggedIn('guest');
  const roomName = `Vote night ${Date.now().toString(36)}`;

  // The host makes a room with no film yet.
  const roomUrl = await roomMadeBy(host, roomName);
  await host.page.getByText('Nothing is playing yet.').waitFor();
  await guest.page.goto(roomUrl);
  await guest.page.getByRole('heading', { level: 1, name: roomName }).waitFor();

  // The guest finds the demo in the library and proposes it (a proposal is the proposer's vote).
  const guestQueue = guest.page.locator('section[aria-labelledby="queue-h"]');
  await guestQueue.getByText('Propose something from the library').click();
  await guestQueue.getByRole('searchbox', { name: 'Search the library' }).fill(DEMO_TITLE);
  await guestQueue.getByRole('button', { name: `Propose ${DEMO_TITLE}` }).click();
  await guestQueue.getByRole('button', { name: `Proposed ${DEMO_TITLE}` }).waitFor();

  // The host sees the proposal (the page looks again every few seconds) and votes for it.
  const hostQueue = host.page.locator('section[aria-labelledby="queue-h"]');
  await hostQueue.getByRole('button', { name: `Vote for ${DEMO_TITLE}` }).click({ timeout: 20_000 });
  await hostQueue.getByRole('button', { name: `Voted for ${DEMO_TITLE}` }).waitFor();
  await guestQueue.getByLabel('2 votes').waitFor({ timeout: 20_000 });
  await screenshot(guest.page, '21-room-votes');

  // The host plays the winner: the film comes on in both pages.
  await host.page.getByRole('button', { name: `Play the winner now: ${DEMO_TITLE}` }).click();
  for (const page of [host.page, guest.page]) await page.locator('video').waitFor({ state: 'attached', timeout: 20_000 });
  await guestQueue.getByText('No proposals yet.').waitFor({ timeout: 20_000 });

  // The host hands the room over: the guest gets the host controls, the host no longer has them.
  const guestRow = host.page.locator('section[aria-labelledby="members-h"] li').filter({ hasText: guest.username });
  await guestRow.getByRole('button', { name: 'Make host' }).click({ timeout: 20_000 });
  await guest.page.getByRole('heading', { name: 'Host controls' }).waitFor({ timeout: 20_000 });
  await host.page.getByRole('heading', { name: 'Host controls' }).waitFor({ state: 'detached' });
  await screenshot(guest.page, '22-room-new-host');
});

test('the owner removes someone from the room: they are told why and cannot come back, the others stop linking to them', async () => {
  const host = await personLoggedIn('host');
  const guest = await personLoggedIn('guest');
  const troll = await personLoggedIn('troll');
  const roomName = `Open night ${Date.now().toString(36)}`;
  const roomUrl = await roomMadeBy(host, roomName);
  for (const person of [guest, troll]) {
    await person.page.goto(roomUrl);
    await person.page.getByRole('heading', { level: 1, name: roomName }).waitFor();
  }
  const links = () => host.page.evaluate(() => window.__flmnchllSync?.links ?? []);
  await waitFor(async () => (await links()).length === 2, { timeout: 30_000, message: 'the host linked to both' });

  // A remove asks first; once confirmed the person is out of the list.
  const members = host.page.locator('section[aria-labelledby="members-h"]');
  host.page.once('dialog', (dialog) => void dialog.accept());
  await members.getByRole('button', { name: `Remove ${troll.username} from the room` }).click();
  await members.locator('li').filter({ hasText: troll.username }).waitFor({ state: 'detached', timeout: 10_000 });
  await members.locator('li').filter({ hasText: guest.username }).waitFor();

  // The removed person's page says why (it looks again every few seconds), and opening the room again says the same.
  const reason = "The room's owner removed you from this room.";
  await troll.page.getByText(reason).waitFor({ timeout: 20_000 });
  await screenshot(troll.page, '23-room-removed');
  await troll.page.goto(roomUrl);
  await troll.page.getByText(reason).waitFor({ timeout: 20_000 });
  await waitFor(async () => (await links()).length === 1, { timeout: 20_000, message: 'the host linked to the guest only' });
});

testNoCspViolation();
