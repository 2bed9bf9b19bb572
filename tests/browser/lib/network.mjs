// A room member's network in the impairment harness (bench/netem.py). Each member is described by
// `{ name, rtt_ms, jitter_ms, loss, rate_bps, relay_port, turn? }` (bench/netem.py Relays.plan(); `turn`:
// 'tcp' sends its WebRTC over TURN/TCP instead of TURN/UDP):
// - its WebRTC goes through TURN only (the page opens with `?ice=relay`, the app's switch for TURN-only checks)
//   and the TURN URLs the room hands it point at its relay (memberPage rewrites them, with `relay`), which adds
//   the member's link to every packet between its browser and coturn;
// - its HTTP (the app, media, functions, the PeerJS socket) is shaped by Chromium's network emulation: the
//   link's round trip as latency, its rate as throughput (Chromium has no loss or jitter for HTTP). Its latency
//   holds back each response, so an HTTP round trip is as long as on the link, but all of it on the way back:
//   a clock estimated over HTTP is off by half of it (see docs/realtime.md).

/** Context options for a member behind an emulated link: no service worker (its fetches would not be shaped). */
export const SHAPED_CONTEXT = { serviceWorkers: 'block' };

/** The page URL query of a member behind the harness (TURN only). */
export const RELAY_QUERY = '?ice=relay';

/**
 * Applies the member's link to its page's HTTP to `origin` (the front door); returns the CDP session. The
 * conditions are a rule for that origin's URLs: conditions without a URL pattern (and the older
 * Network.emulateNetworkConditions) would also delay Chromium's WebRTC packets, which already cross the relay.
 */
export async function shapeHttp(context, page, link, origin) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const bytesPerSecond = link.rate_bps ? link.rate_bps / 8 : -1;
  const conditions = { latency: link.rtt_ms, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond };
  await cdp.send('Network.emulateNetworkConditionsByRule', {
    matchedNetworkConditions: [{ urlPattern: `${new URL(origin).origin}/*`, ...conditions }],
  });
  return cdp;
}

/** The one-way delay (ms) of a message from a member on link `from` to one on link `to`: up one, down the other. */
export function oneWayMs(from, to) {
  return from.rtt_ms / 2 + to.rtt_ms / 2;
}

/** Opens a member's page in its own context behind its link (or unshaped with no link): `{ context, page }`. */
export async function openShapedMember(browser, { baseURL, path, init, link, contextOptions = {} }) {
  const context = await browser.newContext({ baseURL, ...(link ? SHAPED_CONTEXT : {}), ...contextOptions });
  await context.addInitScript(init.script, { ...init.options, relay: link?.relay_port ?? null, relayTransport: link?.turn ?? 'udp' });
  const page = await context.newPage();
  if (link) await shapeHttp(context, page, link, baseURL);
  const started = Date.now();
  await page.goto(`${path}${link ? RELAY_QUERY : ''}`);
  return { context, page, started };
}
