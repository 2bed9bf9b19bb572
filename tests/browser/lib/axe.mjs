// The accessibility audit of a page: axe-core (a dev dependency of frontend/, like playwright-core) run
// inside the page as it is. A page passes when axe finds nothing of impact "serious" or "critical".

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { REPO_ROOT } from './browser.mjs';

const requireFromFrontend = createRequire(join(REPO_ROOT, 'frontend', 'package.json'));
const AXE_SOURCE = readFileSync(requireFromFrontend.resolve('axe-core/axe.min.js'), 'utf8');

export const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Runs axe on the page (through the debugger protocol, so the app's content security policy does not
 * stand in the way) and returns its violations of a blocking impact, each as
 * `{ id, impact, help, nodes: [{ target, summary }] }`.
 */
export async function blockingViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  return violations.filter((v) => BLOCKING_IMPACTS.has(v.impact));
}

/** One readable paragraph per violation, for a failing assertion. */
export function describeViolations(violations) {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target}\n    ${n.summary}`).join('\n')}`)
    .join('\n');
}
