// The room as people use it, in real browsers: one member joins, plays, seeks, chats and leaves with the
// keyboard alone; full screen keeps the chat and who is talking in sight; a member on a phone sees why the
// film stopped. Driven by tests/browser/test_app.py, which prepares a film long enough to seek in, three
// accounts and a room, and hands them over in the environment:
//   FRONT_URL, ARTIFACTS_DIR, PARTY_ROOM (room id), PARTY_ROOM_NAME, PARTY_USERS (JSON list of
//   {token, user: {id, username, role}}: host, guest, phone).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { FRONT_URL, launchRoomBrowser, screenshot, waitFor } from './lib/browser.mjs';
import { memberPage } from './lib/member.mjs';

const ROOM = process.env.PARTY_ROOM;
const ROOM_NAME = process.env.PARTY_ROOM_NAME;
const [HOST, GUEST, PHONE] = JSON.parse(process.env.PARTY_USERS || '[]');
const DESKTOP = { width: 1366, height: 900 };
const PHONE_VIEW = { width: 390, height: 844 };
/** Apple's and Google's smallest comfortable touch target (CSS px). */
const TOUCH_PX = 44;

let talkerBrowser;
let browser;
let toneDir;
const contexts = [];
let host;

/** A member's page, signed in as `who` (the token goes straight into storage, as the app keeps it). */
async function memberContext(b, who, options = {}) {
  const context = await b.newContext({ baseURL: FRONT_URL, viewport: DESKTOP, ...options });
  context.setDefaultTimeout(15_000);
  await context.addInitScript(memberPage, who);
  contexts.push(context);
  const page = await context.newPage();
  return { who, name: who.user.username, context, page };
}

/** Waits until the member's room page is joined, its player loaded and the member linked to `other`. */
async function inRoom(member, other) {
  const { page } = member;
  await page.getByRole('heading', { level: 1, name: ROOM_NAME }).waitFor({ timeout: 20_000 });
  await waitFor(() => page.evaluate(() => Boolean(window.__flmnchllSync) && (document.querySelector('video')?.readyState ?? 0) >= 1), {
    timeout: 20_000,
    message: `${member.name}: the player and the sync engine`,
  });
  if (other) {
    await page.locator(`.rt-member[data-user="${other.who.user.id}"] .rt-dot.rt-online`).waitFor({ timeout: 30_000 });
  }
}

function videoState(page) {
  return page.locator('video').evaluate((v) => ({ t: v.currentTime, paused: v.paused, muted: v.muted, controls: v.controls }));
}

/** Presses Tab (or Shift+Tab) until the focused element passes `check` (run in the page); returns its name. */
async function tabTo(page, check, { back = false, max = 80, what = 'the control' } = {}) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const hit = await page.evaluate(check);
    if (hit) return hit;
  }
  throw new Error(`${what} was not reached with ${max} presses of ${back ? 'Shift+Tab' : 'Tab'}`);
}

/** The focused element shows where focus is (an outline or the app's focus ring). */
async function assertFocusVisible(page) {
  const style = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { outline: s.outlineStyle === 'none' ? 'none' : s.outlineWidth, shadow: s.boxShadow };
  });
  assert.ok(style.shadow !== 'none' || (style.outline !== 'none' && style.outline !== '0px'), `focus is visible: ${JSON.stringify(style)}`);
}

function chatLine(page, text) {
  return page.getByRole('list', { name: 'Chat messages' }).locator('.rt-line').filter({ hasText: text });
}

before(async () => {
  assert.ok(ROOM && HOST && GUEST && PHONE, 'PARTY_ROOM and three PARTY_USERS are required');
  // The host talks all the time: a voice-like sound (a gliding pitch in syllables) as the fake microphone
  // lights the speaking indicators. A steady tone would not do: the browser's noise suppression learns it
  // away within seconds.
  toneDir = mkdtempSync(join(tmpdir(), 'flmnchll-party-'));
  const tone = join(toneDir, 'talk.wav');
  const talk = "0.7*sin(2*PI*(180+90*sin(2*PI*0.7*t))*t)*(0.55+0.45*sin(2*PI*4*t))";
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=${talk}:s=48000:d=300`, '-ac', '1', tone]);
  talkerBrowser = await launchRoomBrowser([`--use-file-for-fake-audio-capture=${tone}`]);
  browser = await launchRoomBrowser();
  host = await memberContext(talkerBrowser, HOST);
  await host.page.goto(`/rooms/${ROOM}`);
  await inRoom(host);
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await talkerBrowser?.close().catch(() => {});
  await browser?.close().catch(() => {});
  if (toneDir) rmSync(toneDir, { recursive: true, force: true });
});

test('with the keyboard alone a member joins the room, plays, seeks, chats and leaves', async () => {
  const guest = await memberContext(browser, GUEST);
  const { page } = guest;
  await page.goto('/rooms');
  await page.getByRole('heading', { level: 1 }).first().waitFor();

  // Join: the code goes into the rooms page's join form.
  await tabTo(page, () => document.activeElement?.id === 'join-code', { what: 'the room code field' });
  await assertFocusVisible(page);
  await page.keyboard.type(ROOM);
  await page.keyboard.press('Enter');
  await inRoom(guest, host);
  assert.equal(await page.locator('video').count(), 1, "the player is the page's one <video>");
  assert.equal((await videoState(page)).controls, false, 'no native controls: the app has its own');

  // Every control of the player is reached with Tab, each with a name a screen reader reads out.
  const names = [];
  await tabTo(page, () => document.activeElement?.getAttribute('aria-label') === 'Play', { what: 'the Play button' });
  await assertFocusVisible(page);
  await screenshot(page, 'party-01-keyboard-play-focused');
  for (let i = 0; i < 8; i += 1) {
    const name = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el?.closest('.player-bar')) return null;
      const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent : null;
      return el.getAttribute('aria-label') || label || null;
    });
    if (name === null) break;
    names.push(name);
    await page.keyboard.press('Tab');
  }
  for (const expected of ['Play', 'Seek', 'Mute', 'Volume', 'Quality', 'Full screen']) {
    assert.ok(names.includes(expected), `the player's ${expected} control is reached by Tab: ${names.join(', ')}`);
  }

  // Play: Enter on the focused button, and the host's film starts too.
  await tabTo(page, () => document.activeElement?.getAttribute('aria-label') === 'Play', { back: true, what: 'the Play button' });
  await page.keyboard.press('Enter');
  await waitFor(async () => !(await videoState(page)).paused, { message: 'the film to play' });
  await waitFor(async () => !(await videoState(host.page)).paused, { timeout: 10_000, message: "the host's film to play" });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Pause', 'the button now pauses');

  // Seek: l jumps ten seconds ahead, the arrow five more; the host lands there too.
  const before = (await videoState(page)).t;
  await page.keyboard.press('l');
  await page.keyboard.press('ArrowRight');
  await waitFor(async () => (await videoState(page)).t >= before + 14, { message: 'the film to jump ahead 15 s' });
  await waitFor(async () => Math.abs((await videoState(host.page)).t - (await videoState(page)).t) < 1.5, {
    timeout: 10_000,
    message: 'the host to follow the jump',
  });
  await chatLine(host.page, `${guest.name} jumped to`).first().waitFor({ timeout: 10_000 });
  await screenshot(page, 'party-02-keyboard-seeked');

  // Chat: typing the player's keys in the chat box types them, and the film does not react.
  await tabTo(page, () => document.activeElement?.getAttribute('name') === 'message', { what: 'the chat box' });
  await assertFocusVisible(page);
  const playing = await videoState(page);
  const text = `k j l f m c and space from ${guest.name}`;
  await page.keyboard.type(text);
  assert.equal(await page.locator('input[name="message"]').inputValue(), text);
  const after = await videoState(page);
  assert.equal(after.paused, false, 'typing k or space in the chat does not pause the film');
  assert.equal(after.muted, playing.muted, 'typing m in the chat does not mute');
  assert.ok(after.t >= playing.t && after.t < playing.t + 5, `typing j or l in the chat does not seek: ${playing.t} -> ${after.t}`);
  assert.equal(await page.evaluate(() => document.fullscreenElement), null, 'typing f in the chat does not go full screen');
  await page.keyboard.press('Enter');
  await chatLine(host.page, text).waitFor({ timeout: 15_000 });
  await screenshot(page, 'party-03-keyboard-chat');

  // Leave: back through the page to the main navigation's Rooms link.
  await tabTo(page, () => {
    const el = document.activeElement;
    return el?.tagName === 'A' && el.closest('nav') && el.textContent.trim() === 'Rooms';
  }, { back: true, max: 120, what: 'the Rooms link' });
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/rooms$/);
  await chatLine(host.page, `${guest.name} left.`).waitFor({ timeout: 20_000 });
  await guest.context.close();
});

test('full screen takes the room view: the chat, who is here and who is talking stay on screen', async () => {
  const guest = await memberContext(browser, GUEST);
  const { page } = guest;
  await page.goto(`/rooms/${ROOM}`);
  await inRoom(guest, host);
  for (const member of [host, guest]) {
    await member.page.getByRole('button', { name: 'Join voice' }).click();
    await member.page.getByRole('button', { name: 'Leave voice' }).waitFor({ timeout: 20_000 });
  }
  const talking = page.locator(`.rt-member.rt-speaking[data-user="${host.who.user.id}"]`);
  await talking.waitFor({ timeout: 30_000 });

  await page.locator('body').focus();
  await page.keyboard.press('f');
  await waitFor(() => page.evaluate(() => document.fullscreenElement?.classList.contains('room-page') ?? false), {
    message: 'the room view to go full screen',
  });
  await page.getByRole('button', { name: 'Exit full screen' }).waitFor();
  // (the speaking indicator follows a live voice call, which a loaded machine may interrupt for a moment)
  const inView = async (locator, what, timeout = 30_000) => {
    const box = await locator.boundingBox({ timeout });
    const view = page.viewportSize();
    assert.ok(box && box.width > 0 && box.y >= 0 && box.y + box.height <= view.height + 1, `${what} is on screen: ${JSON.stringify(box)}`);
  };
  await inView(page.locator('video'), 'the film');
  await inView(page.getByRole('list', { name: 'Chat messages' }), 'the chat');
  await inView(page.locator('input[name="message"]'), 'the chat box');
  await inView(page.locator('.rt-count'), 'the member count');
  await inView(talking, "the host's speaking indicator");
  assert.match(await page.locator('.rt-count').innerText(), /^2 people here$/);
  await screenshot(page, 'party-04-fullscreen-chat', { fullPage: false });

  // Folded away, the chat leaves who is here and talking, and shows a new line for a few seconds.
  await page.getByRole('button', { name: 'Hide chat' }).click();
  assert.equal(await page.locator('input[name="message"]').isVisible(), false, 'the chat box folds away');
  const line = `popcorn? says ${host.name}`;
  await host.page.locator('input[name="message"]').fill(line);
  await host.page.locator('input[name="message"]').press('Enter');
  const recent = page.locator('.rt-recent').getByText(line);
  await recent.waitFor({ timeout: 15_000 });
  await inView(recent, 'the newest chat line');
  await inView(talking, "the host's speaking indicator");
  await inView(page.locator('.rt-count'), 'the member count');
  await screenshot(page, 'party-05-fullscreen-chat-folded', { fullPage: false });
  await recent.waitFor({ state: 'detached', timeout: 15_000 });

  await page.getByRole('button', { name: 'Show chat' }).click();
  await page.keyboard.press('f');
  await waitFor(() => page.evaluate(() => document.fullscreenElement === null), { message: 'full screen to end' });
  await host.page.getByRole('button', { name: 'Leave voice' }).click();
  await guest.context.close();
});

test('on a phone, a notice over the player says who paused, without scrolling, in a polite live region', async () => {
  const phone = await memberContext(browser, PHONE, { viewport: PHONE_VIEW, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const { page } = phone;
  await page.goto(`/rooms/${ROOM}`);
  await inRoom(phone, host);

  // Touch targets of the player are big enough for a finger.
  const small = await page.locator('.player-bar').evaluate((bar, min) => {
    const controls = bar.querySelectorAll('button, select, input');
    return [...controls]
      .map((el) => ({ name: el.getAttribute('aria-label') || el.id, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.height < min || r.width < min)
      .map(({ name, r }) => `${name} ${Math.round(r.width)}×${Math.round(r.height)}`);
  }, TOUCH_PX);
  assert.deepEqual(small, [], 'every player control is at least 44 px on a phone');

  // The host has the film playing, then pauses it from a script: the phone shows who did it.
  await host.page.locator('video').evaluate((v) => v.play());
  await waitFor(async () => !(await videoState(page)).paused, { timeout: 10_000, message: 'the phone to play along' });
  await host.page.locator('video').evaluate((v) => v.pause());
  const region = page.locator('.player-notices [aria-live="polite"]');
  const notice = region.locator('.rt-notice').filter({ hasText: new RegExp(`^${HOST.user.username} paused at \\d+:\\d\\d\\.$`) });
  await notice.waitFor({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  const box = await notice.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= PHONE_VIEW.height, `the notice is on screen without scrolling: ${JSON.stringify(box)}`);
  // the chat has the same line
  await chatLine(page, `${HOST.user.username} paused at`).first().waitFor({ state: 'attached' });
  await screenshot(page, 'party-06-phone-notice', { fullPage: false });
  // it steps aside by itself
  await notice.waitFor({ state: 'detached', timeout: 15_000 });

  // Full screen on a phone: the film above, the party below it, both on screen.
  await page.getByRole('button', { name: 'Full screen' }).tap();
  await waitFor(() => page.evaluate(() => document.fullscreenElement?.classList.contains('room-page') ?? false), {
    message: 'the room view to go full screen on the phone',
  });
  for (const [locator, what] of [[page.locator('video'), 'the film'], [page.locator('input[name="message"]'), 'the chat box'], [page.locator('.rt-count'), 'the member count']]) {
    const shown = await locator.boundingBox();
    assert.ok(shown && shown.y >= 0 && shown.y + shown.height <= PHONE_VIEW.height + 1, `${what} is on the phone's screen: ${JSON.stringify(shown)}`);
  }
  await screenshot(page, 'party-07-phone-fullscreen', { fullPage: false });
  await page.getByRole('button', { name: 'Exit full screen' }).tap();
  await phone.context.close();
});

