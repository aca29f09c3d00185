// Folio's HTML is valid: the Nu HTML Checker (vnu, the W3C's validator, from the vnu-jar package;
// needs Java) over public and admin pages as the server sends them, and no template uses the bare
// `hx-*` attributes the checker rejects (htmx reads the valid `data-hx-*` form too).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, signedIn, startFolio } from './folio.mjs';

const TEMPLATES = new URL('../../templates/', import.meta.url).pathname;
const SOURCES = new URL('../../src/', import.meta.url).pathname;

function files(dir, suffix) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

test('no template or Rust source writes a bare hx- attribute', () => {
  const bare = /[\s"'](hx-[a-z-]+)=/;
  const found = [...files(TEMPLATES, '.html'), ...files(SOURCES, '.rs')].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => [line, i])
      .filter(([line]) => bare.test(line.replace(/data-hx-[a-z-]+=/g, '')))
      .map(([line, i]) => `${file}:${i + 1}: ${line.trim()}`),
  );
  assert.deepEqual(found, []);
});

let folio;
let browser;

before(async () => {
  folio = await startFolio({ posts: 30 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await folio?.stop();
});

/** vnu's errors for each HTML document, keyed by its name. */
function validate(documents) {
  const dir = mkdtempSync(join(tmpdir(), 'folio-vnu-'));
  try {
    const paths = Object.entries(documents).map(([name, html], i) => {
      const path = join(dir, `${i}.html`);
      writeFileSync(path, html);
      return [path, name];
    });
    const jar = createRequire(import.meta.url).resolve('vnu-jar/build/dist/vnu.jar');
    let out;
    try {
      out = execFileSync('java', ['-jar', jar, '--format', 'json', '--errors-only', ...paths.map(([p]) => p)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (failed) {
      // vnu exits 1 when it found errors; the JSON report is on stderr either way.
      out = failed.stderr;
    }
    const names = Object.fromEntries(paths.map(([p, name]) => [`file:${p}`, name]));
    const report = JSON.parse(out || '{"messages":[]}');
    return report.messages
      .filter((m) => m.type === 'error')
      .map((m) => `${names[m.url] ?? m.url}:${m.lastLine}: ${m.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function hasJava() {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// CI installs Java (.ci/run); elsewhere a missing Java skips this test with a message.
const NO_JAVA = !hasJava() && 'java is missing: apt install default-jre-headless';

test('the Nu HTML Checker finds no errors in public and admin pages', { skip: NO_JAVA }, async () => {
  const { context, page } = await signedIn(browser, folio.base);
  try {
    const documents = {};
    const get = async (path) => {
      const response = await page.request.get(path);
      assert.equal(response.status(), 200, path);
      documents[path] = await response.text();
    };
    await page.goto('/');
    const post = await page.getAttribute('.card--cover .card__title a', 'href');
    const tag = await page.getAttribute('.card .kicker', 'href');
    const author = await page.getAttribute('.card .meta a', 'href');
    await page.goto('/admin/posts');
    const edit = await page.getAttribute('#results tbody tr:first-child td a', 'href');
    for (const path of ['/', '/?page=2', '/search?q=rust', post, tag, author, '/series/rust-from-scratch', '/about', '/sign-up', '/account', '/account/tokens', '/api',
      '/admin', '/admin/posts', '/admin/posts/new', edit, '/admin/pages', '/admin/tags', '/admin/series', '/admin/media',
      '/admin/users', '/admin/settings', '/admin/audit', '/admin/comments', '/admin/corrections',
      `${post}/comment`, `${post}/correction`, '/subscribe', '/subscribe?email=a%40example.org&source=home',
      '/admin/subscribers', '/admin/subscribers/mailings']) {
      await get(path);
    }
    // Signed out, the sign-in page (signed in, it sends you on).
    documents['/sign-in'] = await (await fetch(`${folio.base}/sign-in`)).text();
    assert.deepEqual(validate(documents), []);
  } finally {
    await context.close();
  }
});
