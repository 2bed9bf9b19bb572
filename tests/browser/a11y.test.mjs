// The accessibility audit of every page of the app: axe-core in Debian's chromium, on each page as a person
// reaches it (signed out, as a viewer, as an admin; the room also in full screen). A page fails on any
// violation of impact "serious" or "critical". Driven by tests/browser/test_app.py, which hands over:
//   FRONT_URL, ARTIFACTS_DIR, ADMIN_PASSWORD, AUDIT_CONTENT (a ready item), AUDIT_ROOM (a room with it).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { blockingViolations, describeViolations } from './lib/axe.mjs';
import { FRONT_URL, launchPage, login, screenshot, waitFor } from './lib/browser.mjs';

const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD;
const CONTENT = process.env.AUDIT_CONTENT;
const ROOM = process.env.AUDIT_ROOM;

let visitor;
let admin;

before(async () => {
  assert.ok(ADMIN_PASSWORD && CONTENT && ROOM, 'ADMIN_PASSWORD, AUDIT_CONTENT and AUDIT_ROOM are required');
  visitor = await launchPage();
  admin = await launchPage();
  await login(admin.page, 'admin', ADMIN_PASSWORD);
});

after(async () => {
  await visitor?.close();
  await admin?.close();
});

/** Audits the page once `ready` resolves; the screenshot shows what was audited. */
async function audit(page, name, ready) {
  await ready();
  // let fonts and late renders settle, as a person would see the page
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300);
  await screenshot(page, `a11y-${name}`);
  const violations = await blockingViolations(page);
  assert.deepEqual(violations.map((v) => v.id), [], `${name}: serious or critical accessibility violations\n${describeViolations(violations)}`);
}

/** Waits for the page's main heading. */
const headingShown = (name) => (page) => page.getByRole('heading', { level: 1, name }).first().waitFor();

for (const [name, path] of [['login', '/login'], ['signup', '/signup']]) {
  test(`the ${name} page passes the audit`, async () => {
    const { page } = visitor;
    await page.goto(`${FRONT_URL}${path}`);
    await audit(page, name, () => page.locator('input[name="password"]').waitFor());
  });
}

const SIGNED_IN = [
  ['library', '/', (page) => page.locator('.content-card').first().waitFor()],
  ['item', () => `/content/${CONTENT}`, (page) => page.getByRole('button', { name: 'Watch with friends' }).waitFor()],
  ['watch', () => `/watch/${CONTENT}`, (page) => page.locator('.player-bar').waitFor()],
  ['rooms', '/rooms', (page) => page.locator('#join-code').waitFor()],
  ['room', () => `/rooms/${ROOM}`, (page) => page.locator('input[name="message"]').waitFor()],
  ['upload', '/admin/upload', headingShown('Upload videos')],
  ['processing', '/admin/content', headingShown('Processing')],
  ['users', '/admin/users', (page) => page.locator('table.users tbody tr').first().waitFor()],
  ['dashboard', '/admin/dashboard', (page) => page.locator('[data-stat="total-users"] dd').waitFor()],
  ['status', '/admin/status', (page) => page.locator('.status-table tbody tr').first().waitFor()],
  ['account', '/account', headingShown('Your account')],
];

for (const [name, path, ready] of SIGNED_IN) {
  test(`the ${name} page passes the audit`, async () => {
    const { page } = admin;
    await page.goto(`${FRONT_URL}${typeof path === 'function' ? path() : path}`);
    await audit(page, name, () => ready(page));
  });
}

test('the room in full screen passes the audit, with the chat open and folded', async () => {
  const { page } = admin;
  await page.goto(`${FRONT_URL}/rooms/${ROOM}`);
  await page.locator('input[name="message"]').waitFor();
  await page.locator('video').evaluate((v) => new Promise((resolve) => (v.readyState >= 1 ? resolve() : v.addEventListener('loadedmetadata', resolve, { once: true }))));
  await page.getByRole('button', { name: 'Full screen' }).click();
  await waitFor(() => page.evaluate(() => document.fullscreenElement?.classList.contains('room-page') ?? false), {
    message: 'the room view to go full screen',
  });
  await audit(page, 'room-fullscreen', async () => undefined);
  await page.getByRole('button', { name: 'Hide chat' }).click();
  await audit(page, 'room-fullscreen-folded', async () => undefined);
  await page.keyboard.press('Escape');
});
