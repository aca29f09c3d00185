// Runs a real Folio (the binary the cargo tests built) on a fresh SQLite file with demo content,
// and a real Chromium that signs in to it. Each test file gets its own server and database.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const EMAIL = 'owner@example.org';
export const PASSWORD = 'correct horse battery staple';

const BIN = process.env.FOLIO_BIN;
const CHROMIUM = process.env.FOLIO_TEST_CHROMIUM || '/usr/bin/chromium';

async function freePort() {
  const server = net.createServer();
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address();
  await new Promise((closed) => server.close(closed));
  return port;
}

/** Starts Folio with `posts` demo posts and an owner account; returns its base URL and a stop(). */
export async function startFolio({ posts = 12 } = {}) {
  assert.ok(BIN, 'FOLIO_BIN must name the folio binary (scripts/test sets it)');
  const dir = mkdtempSync(join(tmpdir(), 'folio-browser-'));
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${join(dir, 'folio.db')}`,
    ROCKET_ADDRESS: '127.0.0.1',
    ROCKET_PORT: String(port),
    ROCKET_LOG_LEVEL: 'critical',
  };
  execFileSync(BIN, ['demo', '--posts', String(posts)], { cwd: dir, env, stdio: 'ignore' });
  execFileSync(BIN, ['create-admin', '--email', EMAIL, '--password-stdin'], { cwd: dir, env, input: `${PASSWORD}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
  const server = spawn(BIN, ['serve'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    assert.ok(i < 100 && server.exitCode === null, 'folio did not start');
    await new Promise((later) => setTimeout(later, 100));
  }
  return {
    base,
    /** What `folio outbox` prints: the mail waiting to be sent (no SMTP server here), links and all. */
    outbox() {
      return execFileSync(BIN, ['outbox'], { cwd: dir, env, encoding: 'utf8' });
    },
    async stop() {
      server.kill();
      await new Promise((exited) => (server.exitCode !== null ? exited() : server.once('exit', exited)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A headless Chromium. */
export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * A signed-in browser context on `base`. Every page opened in it records console errors,
 * uncaught exceptions and CSP reports in `problems`, which a test expects to stay empty.
 */
export async function signedIn(browser, base, options = {}) {
  const context = await browser.newContext({ baseURL: base, ...options });
  context.problems = [];
  context.on('page', (page) => watch(page, context.problems));
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.fill('#f-email', EMAIL);
  await page.fill('#f-password', PASSWORD);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/sign-in')), page.click('button[type=submit]')]);
  return { context, page };
}

/**
 * A new member, signed up and confirmed through the site as a reader would (the confirmation link
 * read from the outbox), in a context of their own; returns { context, page }.
 */
export async function signedUpMember(browser, folio, name, options = {}) {
  const context = await browser.newContext({ baseURL: folio.base, ...options });
  context.problems = [];
  context.on('page', (page) => watch(page, context.problems));
  const page = await context.newPage();
  const email = `${name.toLowerCase().replace(/[^a-z]/g, '')}-${Date.now()}@example.org`;
  await page.goto('/sign-up');
  await page.fill('#f-display_name', name);
  await page.fill('#f-email', email);
  await page.fill('#f-password', PASSWORD);
  // The form refuses what comes back within three seconds (a bot's haste).
  await page.waitForTimeout(3200);
  await Promise.all([page.waitForURL((url) => url.pathname === '/sign-up/check-inbox'), page.click('button[type=submit]')]);
  const mail = folio.outbox().split(/\n#\d+ /).find((m) => m.startsWith(`To: ${email}`));
  const link = mail.match(/\/confirm\/[A-Za-z0-9_-]+/)[0];
  await page.goto(link);
  await Promise.all([page.waitForURL((url) => url.pathname === '/account'), page.click('button[type=submit]')]);
  return { context, page };
}

// Chromium logs every 4xx answer as an error; 409 and 422 are forms coming back by design.
const EXPECTED = /the server responded with a status of (409|422) /;

export function watch(page, problems) {
  page.on('console', (message) => {
    if (message.type() === 'error' && !EXPECTED.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.0 and 2.1 A and AA violations on the current page, as { id, nodes: [selector] }.
 * The source goes in through the DevTools protocol (`evaluate`), which the CSP does not govern, so
 * the page keeps its real policy while it is checked.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}
