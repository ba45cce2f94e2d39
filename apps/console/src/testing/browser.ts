import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// What the console's browser tests share: Debian's Chromium, a patient wait, and axe-core.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Debian's `chromium` (CHROMIUM_PATH to use another): no browser is downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Root in a container has no user namespace for Chromium's sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** Asks `probe` until it answers something other than undefined (a throw counts as not yet). */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
    await sleep(250);
  }
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core on the page as it is; the serious and critical violations, as readable lines. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') stays in force.
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const runner = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } })
      .axe;
    return (await runner.run()).violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.impact}: ${v.id} (${v.help}) at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
    );
}

/** What a page looks like at a phone's width: how far it scrolls sideways, and axe's findings. */
export interface AtPhoneWidth {
  readonly path: string;
  /** Pixels of sideways scrolling (0: the page fits). */
  readonly overflow: number;
  readonly accessibility: string[];
}

/**
 * Opens each path in a new tab of `context` at 375 px wide (a phone), once its heading and data
 * have loaded; expect `{path, overflow: 0, accessibility: []}` for each.
 */
export async function atPhoneWidth(
  context: BrowserContext,
  baseUrl: string,
  paths: readonly string[],
): Promise<AtPhoneWidth[]> {
  const phone = await context.newPage();
  try {
    await phone.setViewportSize({ width: 375, height: 740 });
    const seen: AtPhoneWidth[] = [];
    for (const path of paths) {
      await phone.goto(`${baseUrl}${path}`);
      await phone.locator('h1').waitFor();
      await phone.waitForLoadState('networkidle');
      const overflow = await phone.evaluate(() => {
        const { documentElement } = (
          globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }
        ).document;
        return documentElement.scrollWidth - documentElement.clientWidth;
      });
      seen.push({ path, overflow, accessibility: await accessibilityProblems(phone) });
    }
    return seen;
  } finally {
    await phone.close();
  }
}
