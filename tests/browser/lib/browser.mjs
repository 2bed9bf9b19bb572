// Shared helpers for the browser tests: Debian's chromium driven by playwright-core, sign-up and log-in
// through the app's own forms, screenshots into ARTIFACTS_DIR.
//
// playwright-core is a dev dependency of frontend/ (installed by scripts/install.sh); it is resolved from
// there, so the tests need no node_modules of their own.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..', '..');

const requireFromFrontend = createRequire(join(REPO_ROOT, 'frontend', 'package.json'));
/** The playwright-core module (CommonJS), resolved from frontend/node_modules. */
export const playwright = requireFromFrontend('playwright-core');

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const FRONT_URL = (process.env.FRONT_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
export const ARTIFACTS_DIR = resolve(process.env.ARTIFACTS_DIR || join(REPO_ROOT, 'tests', 'artifacts'));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

/** The Content-Security-Policy violations pages reported so far ("page URL: message"). */
export const cspViolations = [];

/**
 * Records every Content-Security-Policy violation of the pages of `context`, now and later (chromium reports
 * each one as a console error). Returns the context.
 */
export function watchCsp(context) {
  context.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
      cspViolations.push(`${message.page()?.url() ?? '?'}: ${message.text()}`);
    }
  });
  return context;
}

/** A test of its own, run last in a file: the app works within the front door's policy. */
export function testNoCspViolation() {
  test('no page broke the Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, [], `CSP violations:\n${cspViolations.join('\n')}`);
  });
}

/**
 * One chromium for all members of a room, a context each (`browser.newContext()`). The contexts share one
 * window's worth of scheduling, so background ones must not have their timers or renderers slowed down.
 * `extraArgs` are further chromium switches (e.g. a file as the fake microphone).
 */
export function launchRoomBrowser(extraArgs = []) {
  const shared = [
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
  ];
  return playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...shared, ...extraArgs] });
}

/**
 * A chromium with its own fresh profile. Returns `{ context, close }`: `context` is the persistent context
 * of that profile (new pages with `context.newPage()`); `close()` shuts the browser and removes the profile.
 * Each call is a separate browser, so two of them are two people (separate storage, cookies, tokens).
 */
export async function launch({ viewport = { width: 1280, height: 800 }, extraArgs = [], ...options } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'flmnchll-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport,
    baseURL: FRONT_URL,
    ...options,
  });
  watchCsp(context);
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      await context.close();
    } finally {
      rmSync(userDataDir, { recursive: true, force: true });
    }
  };
  return { context, close };
}

/** A new page in a fresh browser: `{ context, page, close }`. */
export async function launchPage(options = {}) {
  const session = await launch(options);
  const page = session.context.pages()[0] ?? (await session.context.newPage());
  return { ...session, page };
}

let counter = 0;
/** A username that is new on every run (letters, digits and underscores, at most 24 characters). */
export function uniqueName(prefix = 'u') {
  counter += 1;
  const stamp = Date.now().toString(36).slice(-6);
  const rand = Math.random().toString(36).slice(2, 6);
  return `${prefix}_${stamp}${rand}${counter}`.slice(0, 24);
}

async function fillAuthForm(page, username, password) {
  const form = page.locator('form').filter({ has: page.locator('input[name="password"]') });
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('button[type="submit"]').click();
}

/** Opens the log-in screen and submits it; does not wait for the outcome. */
export async function submitLogin(page, username, password) {
  await page.goto(`${FRONT_URL}/login`);
  await fillAuthForm(page, username, password);
}

/** Opens the sign-up screen and submits it; does not wait for the outcome. */
export async function submitSignup(page, username, password) {
  await page.goto(`${FRONT_URL}/signup`);
  await fillAuthForm(page, username, password);
}

/** Waits until the page shows a signed-in user: the "Log out" button of the main navigation. */
export async function waitSignedIn(page, timeout = 20_000) {
  await page.getByRole('button', { name: /log out/i }).waitFor({ state: 'visible', timeout });
}

/** Logs in through the form and waits until signed in. */
export async function login(page, username, password) {
  await submitLogin(page, username, password);
  await waitSignedIn(page);
}

/** Signs up through the form (the app logs the new user in) and waits until signed in. */
export async function signup(page, username, password) {
  await submitSignup(page, username, password);
  await waitSignedIn(page);
}

/** Signs up a new user in a fresh browser: `{ context, page, close, username, password }`. */
export async function newUser(prefix = 'u', options = {}) {
  const session = await launchPage(options);
  const username = uniqueName(prefix);
  const password = `pw-${Math.random().toString(36).slice(2, 12)}-x`;
  try {
    await signup(session.page, username, password);
  } catch (err) {
    await screenshot(session.page, `signup-failed-${username}`).catch(() => {});
    await session.close();
    throw err;
  }
  return { ...session, username, password };
}

export const GATEWAY_URL = (process.env.GATEWAY_URL || '').replace(/\/+$/, '');

/**
 * A new account made without the form (for people a test needs but whose sign-up it does not test):
 * `{ username, password }`. With GATEWAY_URL it goes straight to the gateway from a test address of its own
 * (benchmarking range), so the per-address signup limit is spent only on sign-ups done through the form;
 * without it, through the front door.
 */
export async function createAccount(prefix = 'u') {
  const username = uniqueName(prefix);
  const password = `pw-${Math.random().toString(36).slice(2, 12)}-x`;
  const address = `198.18.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
  const response = await fetch(`${GATEWAY_URL || FRONT_URL}/function/signup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Real-IP': address },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 201) throw new Error(`signup of ${username}: ${response.status} ${await response.text()}`);
  return { username, password };
}

/** A new account, logged in through the form in a fresh browser: `{ context, page, close, username, password }`. */
export async function loggedInUser(prefix = 'u', options = {}) {
  const account = await createAccount(prefix);
  const session = await launchPage(options);
  try {
    await login(session.page, account.username, account.password);
  } catch (err) {
    await screenshot(session.page, `login-failed-${account.username}`).catch(() => {});
    await session.close();
    throw err;
  }
  return { ...session, ...account };
}

/** Saves a PNG of the whole page (or with `fullPage: false` of what fits the window) as ARTIFACTS_DIR/NAME.png; returns its path. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-');
  const path = join(ARTIFACTS_DIR, `${safe}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/**
 * Polls `probe` (sync or async) until it returns a truthy value, which is returned; throws with `message`
 * and the last value or error after `timeout` ms.
 */
export async function waitFor(probe, { timeout = 15_000, interval = 200, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${message} (${detail})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
