import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { type E2EStack, type StackChoice, startE2EStack } from "./stack";

/**
 * Chromium's headless shell, the build Playwright itself runs headless tests on: the full
 * browser's new headless mode took 4x its CPU per page here (5.6 s against 1.3 s for ten
 * pages, each in its own context, measured with process accounting).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium-headless-shell";
export const SCREENSHOTS = "test-results/screenshots";

/** Debian's Chromium headless shell, without the network chatter this offline machine refuses. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install chromium-headless-shell) or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot named after the step, for people to look at after a run. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Every Content-Security-Policy violation in the pages `page` opens from now on, as Chromium
 * reports it: its console message, and the `securitypolicyviolation` event (CSP3) for
 * what the message might not say. A journey ends with `expect(violations).toEqual([])`.
 */
export async function cspViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) violations.push(`${page.url()}: ${message.text()}`);
  });
  await page.exposeBinding("reportCspViolation", ({ frame }, violation: string) => {
    violations.push(`${frame.url()}: ${violation}`);
  });
  // A string: it runs in the page, whose globals the tests' types do not know.
  await page.addInitScript(
    'document.addEventListener("securitypolicyviolation", (e) => reportCspViolation(' +
      'e.effectiveDirective + " refused " + (e.blockedURI || "inline code") + " at " + e.sourceFile + ":" + e.lineNumber))',
  );
  return violations;
}

/**
 * Every error the pages `page` opens from now on report: console errors (failed loads, React's
 * hydration mismatches and warnings logged as errors) and uncaught exceptions, each with the
 * page's URL. A journey ends with `expect(errors).toEqual([])`.
 */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`${page.url()}: uncaught ${error.message}`));
  return errors;
}

/** A page of its own (a fresh browser context: no one else's cookies) and what it reported. */
export interface WatchedPage {
  page: Page;
  /** `consoleErrors` of the page. */
  errors: string[];
  /** `cspViolations` of the page. */
  violations: string[];
}

/** One browser journey's file: the e2e stack and Chromium it runs on, and its pages. */
export interface Journey {
  /** The stack, once the file's `beforeAll` has started it. */
  readonly stack: E2EStack;
  /** A new page in a new context, watched for console errors and CSP violations. */
  newPage(): Promise<WatchedPage>;
}

/**
 * Gets an e2e stack (the shared one, or as `stack` chooses: see startE2EStack) and starts
 * Chromium before the calling file's tests, and stops both after them. Call it at the top of a
 * journey file; use what it returns inside the tests.
 */
export function journey(stack: StackChoice = {}): Journey {
  let started: E2EStack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [started, browser] = await Promise.all([startE2EStack(stack), launchBrowser()]);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await started?.stop();
  });
  return {
    get stack() {
      if (!started) throw new Error("the journey's stack is not running: use it inside a test");
      return started;
    },
    async newPage() {
      if (!browser) throw new Error("the journey's browser is not running: use it inside a test");
      const page = await (await browser.newContext()).newPage();
      return { page, violations: await cspViolations(page), errors: consoleErrors(page) };
    },
  };
}

/**
 * The end of every journey: no CSP violation, and no console error or uncaught exception but
 * the `expected` ones, each given exactly as `consoleErrors` words it.
 */
export function expectNoErrors(watched: WatchedPage, expected: string[] = []) {
  expect(watched.violations).toEqual([]);
  expect(watched.errors.filter((error) => !expected.includes(error))).toEqual([]);
}
