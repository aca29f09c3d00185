// What readers see, in real Chromium: loading older posts (with and without JavaScript), heading
// permalinks, the largest image of a page, the public stylesheet and header, and an axe check of
// every kind of public page in light and dark.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, launch, signedIn, startFolio, watch } from './folio.mjs';

let folio;
let browser;

before(async () => {
  // 30 demo posts: more than the 10 of one page, so the home page has older posts to load.
  folio = await startFolio({ posts: 30 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await folio?.stop();
});

/** Runs `body` with a signed-out page, then checks the page logged no errors or CSP violations. */
async function asReader(body, options = {}) {
  const context = await browser.newContext({ baseURL: folio.base, ...options });
  const problems = [];
  context.on('page', (page) => watch(page, problems));
  const page = await context.newPage();
  try {
    await body(page, context);
    assert.deepEqual(problems, [], 'the browser reported problems');
  } finally {
    await context.close();
  }
}

/** The path of the first post on the home page whose body has headings. */
async function postWithHeadings(page) {
  await page.goto('/');
  for (const href of await page.locator('.card__title a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))) {
    await page.goto(href);
    if ((await page.locator('.prose h2').count()) > 0) return href;
  }
  throw new Error('no demo post has headings');
}

test('"Older posts" appends the next page, moves focus to its first post, and pushes its address', async () => {
  await asReader(async (page) => {
    await page.goto('/');
    assert.equal(await page.locator('.post-list > .card').count(), 10);
    await page.evaluate(() => (window.sameDocument = true));
    await page.click('text=Older posts');
    await page.waitForURL((url) => url.searchParams.get('page') === '2');
    await page.waitForFunction(() => document.querySelectorAll('.post-list > .card').length > 10);
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the posts were added in place');
    assert.match(await page.title(), /Page 2/);
    const focused = await page.evaluate(() => {
      const link = document.activeElement;
      const cards = [...document.querySelectorAll('.post-list > .card')];
      return { index: cards.indexOf(link.closest('.card')), inTitle: !!link.closest('.card__title'), href: link.getAttribute('href') };
    });
    assert.deepEqual({ index: focused.index, inTitle: focused.inTitle }, { index: 10, inTitle: true }, 'focus is on the first new post');

    // Open that post, then come back: the reader is back on a list holding it.
    await Promise.all([page.waitForURL((url) => url.pathname === focused.href), page.keyboard.press('Enter')]);
    await page.goBack();
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('page') === '2');
    assert.equal(await page.locator(`.post-list a[href="${focused.href}"]`).count() > 0, true, 'the opened post is on the page');
    assert.equal(await page.locator('main').count(), 1);
  });
});

test('Back after loading older posts shows the first page whole', async () => {
  await asReader(async (page) => {
    await page.goto('/');
    const first = await page.getAttribute('.post-list > .card:first-child .card__title a', 'href');
    await page.click('text=Older posts');
    await page.waitForURL((url) => url.searchParams.get('page') === '2');
    await Promise.all([page.waitForEvent('load'), page.goBack({ waitUntil: 'commit' })]);
    assert.equal(new URL(page.url()).search, '');
    await page.waitForFunction(() => document.querySelectorAll('.post-list > .card').length === 10);
    assert.equal(await page.getAttribute('.post-list > .card:first-child .card__title a', 'href'), first);
    assert.equal(await page.locator('header.site-header').count(), 1, 'a whole page, not a fragment');
    assert.doesNotMatch(await page.title(), /Page 2/);
  });
});

test('without JavaScript, "Older posts" is a link to the next page, which stands alone', async () => {
  await asReader(
    async (page) => {
      await page.goto('/');
      await Promise.all([page.waitForURL(/\?page=2$/), page.click('text=Older posts')]);
      assert.equal(await page.locator('.post-list > .card').count(), 10);
      assert.match(await page.textContent('h1'), /page 2/);
      assert.ok(await page.isVisible('text=Newer posts'));
      assert.equal(await page.locator('[autofocus]').count(), 0, 'a whole page does not steal focus');
    },
    { javaScriptEnabled: false },
  );
});

test('heading permalinks are links with a name, reachable by keyboard and not hidden', async () => {
  await asReader(async (page) => {
    const path = await postWithHeadings(page);
    await page.goto(path);
    const anchors = await page.locator('.prose :is(h2, h3, h4)').evaluateAll((headings) =>
      headings.map((h) => {
        const link = h.querySelector('a[href^="#"]') ?? h.nextElementSibling?.querySelector?.('a[href^="#"]');
        return { id: h.id, href: link?.getAttribute('href'), hidden: !!link?.closest('[aria-hidden="true"]'), text: h.textContent.trim() };
      }),
    );
    assert.ok(anchors.length > 0);
    for (const anchor of anchors) {
      assert.equal(anchor.href, `#${anchor.id}`, `${anchor.text} has a permalink`);
      assert.equal(anchor.hidden, false, `${anchor.text}: its permalink is not aria-hidden`);
    }
    const violations = await axeViolations(page);
    assert.deepEqual(violations.filter((v) => v.id === 'aria-hidden-focus'), []);
  });
});

test('the first card image loads eagerly with high priority; the others lazily', async () => {
  await asReader(async (page) => {
    const tag = async () => {
      await page.goto('/');
      return page.getAttribute('.card .kicker', 'href');
    };
    for (const path of ['/', await tag()]) {
      await page.goto(path);
      const images = await page.locator('.post-list .card img').evaluateAll((imgs) =>
        imgs.map((img) => ({ loading: img.getAttribute('loading'), priority: img.getAttribute('fetchpriority') })),
      );
      assert.ok(images.length > 1, `${path} has card images`);
      const firstCard = await page.locator('.post-list > .card:first-child img').count();
      if (firstCard) {
        assert.deepEqual(images[0], { loading: 'eager', priority: 'high' }, `${path}: the first card image`);
      }
      for (const image of images.slice(firstCard)) assert.deepEqual(image, { loading: 'lazy', priority: null }, path);
    }
    // Older posts loaded in place are below the fold: all lazy.
    await page.goto('/');
    await page.click('text=Older posts');
    await page.waitForFunction(() => document.querySelectorAll('.post-list > .card').length > 10);
    assert.equal(await page.locator('.post-list img[fetchpriority]').count(), await page.locator('.post-list > .card:first-child img').count());
    // A post's cover is its largest paint.
    await page.goto('/');
    await page.click('.card--cover .card__title a');
    assert.equal(await page.getAttribute('.post__cover img', 'fetchpriority'), 'high');
  });
});

test('readers get only the public stylesheet; the header offers sign-in and sign-up to everyone alike', async () => {
  await asReader(async (page) => {
    await page.goto('/');
    const sheets = await page.locator('link[rel=stylesheet]').evaluateAll((links) => links.map((l) => l.href));
    assert.equal(sheets.length, 1, 'one stylesheet');
    const css = await (await fetch(sheets[0])).text();
    for (const admin of ['.admin', '.editor', '.bulk', '.media-grid', '.diff', '.error-summary']) {
      assert.ok(!css.includes(admin), `the public stylesheet has no ${admin} rules`);
    }
    assert.ok(css.length < 20_000, `the public stylesheet is ${css.length} bytes`);
    const nav = page.locator('header.site-header');
    assert.equal(await nav.locator('a[href="/sign-in"]').textContent(), 'Sign in');
    assert.equal(await nav.locator('a[href="/sign-up"]').textContent(), 'Sign up');
  });
  // The same bytes for every visitor, signed in or not (a page cache can serve them).
  const anonymous = await (await fetch(`${folio.base}/`)).text();
  assert.equal(await (await fetch(`${folio.base}/`)).text(), anonymous);
  const { context, page } = await signedIn(browser, folio.base);
  try {
    const response = await page.request.get('/');
    assert.equal(await response.text(), anonymous, 'a signed-in visitor gets the same home page');
  } finally {
    await context.close();
  }
});

test('typing in the header search box replaces the page with results in place, and Back returns', async () => {
  await asReader(async (page) => {
    await page.goto('/');
    await page.evaluate(() => (window.sameDocument = true));
    await page.fill('#site-search-q', 'rust');
    await page.waitForURL((url) => url.pathname === '/search' && url.searchParams.get('q') === 'rust');
    await page.waitForSelector('.search-result');
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the results came in place');
    assert.match(await page.textContent('.search-count'), /\d+ results?/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'site-search-q', 'the box keeps the focus');
    // Typing on in the results page's own box swaps only the results.
    await page.fill('#search-q', 'rust scratch');
    await page.waitForURL((url) => url.searchParams.get('q') === 'rust scratch');
    await page.waitForLoadState('networkidle');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'search-q');
    assert.ok((await page.locator('.search-result mark').count()) > 0, 'matches are highlighted');
    // Back loads each earlier address whole (htmx keeps no pages in localStorage), so each Back
    // ends with a page load.
    await Promise.all([page.waitForEvent('load'), page.goBack({ waitUntil: 'commit' })]);
    assert.equal(new URL(page.url()).searchParams.get('q'), 'rust');
    await page.waitForSelector('.search-result');
    await Promise.all([page.waitForEvent('load'), page.goBack({ waitUntil: 'commit' })]);
    assert.equal(new URL(page.url()).pathname, '/');
    await page.waitForSelector('.post-list');
  });
});

test('Back twice in quick succession ends on the page of the address, whichever answer comes last', async () => {
  await asReader(async (page) => {
    await page.goto('/');
    await page.fill('#site-search-q', 'rust');
    await page.waitForURL((url) => url.pathname === '/search' && url.searchParams.get('q') === 'rust');
    await page.waitForSelector('.search-result');
    await page.fill('#search-q', 'rust scratch');
    await page.waitForURL((url) => url.searchParams.get('q') === 'rust scratch');
    // The first Back's page answers late, as a slow search does on a busy server: it must not
    // land on top of the second Back's page.
    await page.route(/\/search\?q=rust$/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue().catch(() => {});
    });
    // The second Back may abort the first one's load, as in any browser; Playwright then reports
    // ERR_ABORTED, which is not what this test is about.
    await page.goBack({ waitUntil: 'commit' }).catch(() => {});
    await page.goBack({ waitUntil: 'commit' }).catch(() => {});
    await page.waitForURL((url) => url.pathname === '/');
    await page.waitForSelector('.post-list');
    await page.waitForTimeout(2500);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.locator('.post-list').count(), 1, 'the home page is shown');
    assert.equal(await page.locator('.search-result').count(), 0, 'no late search results on top of it');
  });
});

test('without JavaScript, the header search box submits and the results page stands alone', async () => {
  await asReader(
    async (page) => {
      await page.goto('/');
      await page.fill('#site-search-q', 'rust');
      await Promise.all([page.waitForURL((url) => url.pathname === '/search'), page.press('#site-search-q', 'Enter')]);
      assert.ok((await page.locator('.search-result').count()) > 0);
      assert.equal(await page.getAttribute('meta[name="robots"]', 'content'), 'noindex');
    },
    { javaScriptEnabled: false },
  );
});

test('every kind of public page passes axe (WCAG 2.1 AA), light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    await asReader(
      async (page) => {
        await page.goto('/');
        const pick = async (selector) => page.getAttribute(selector, 'href');
        const pages = [
          '/',
          await pick('.card--cover .card__title a'),
          await postWithHeadings(page),
          '/about',
          '/sign-in',
          '/sign-up',
          '/?page=2',
          '/search?q=rust',
          '/api',
        ];
        await page.goto('/');
        pages.push(await pick('.card .kicker'), await pick('.card .meta a'), '/series/rust-from-scratch');
        for (const path of pages) {
          await page.goto(path);
          assert.deepEqual(await axeViolations(page), [], `${path} (${colorScheme})`);
        }
      },
      { colorScheme },
    );
  }
});
