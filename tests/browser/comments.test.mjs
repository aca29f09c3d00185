// Comments in real Chromium, with JavaScript on and off (issue 17): a guest comments and is told
// it awaits moderation, the owner approves it in the admin, it appears, and a member (signed up
// and confirmed through the site) replies; axe checks the article with comments, the form with
// errors, the moderation queue and the correction form.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, launch, signedIn, signedUpMember, startFolio, watch } from './folio.mjs';

let folio;
let browser;

before(async () => {
  folio = await startFolio({ posts: 4 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await folio?.stop();
});

/** A signed-out context; `body` runs with its page, then no console error or CSP report may remain. */
async function asGuest(body, options = {}) {
  const context = await browser.newContext({ baseURL: folio.base, ...options });
  const problems = [];
  context.on('page', (page) => watch(page, problems));
  const page = await context.newPage();
  try {
    await body(page);
    assert.deepEqual(problems, [], 'the browser reported problems');
  } finally {
    await context.close();
  }
}

/** The path of the `n`th post on the home page. */
async function nthPost(page, n) {
  await page.goto('/');
  return page.locator('.card__title a').nth(n).getAttribute('href');
}

/** A person takes more than the form's three-second minimum to write. */
const think = (page) => page.waitForTimeout(3200);

/** Approves the comment whose text is `text` from the moderation queue, as the owner. */
async function approve(text, options = {}) {
  const { context, page } = await signedIn(browser, folio.base, options);
  try {
    await page.goto('/admin/comments');
    const row = page.locator('tr', { hasText: text });
    await Promise.all([page.waitForURL(/\/admin\/comments/), row.getByRole('button', { name: 'Approve' }).click()]);
    await page.waitForSelector('.notice');
    assert.match(await page.textContent('.notice'), /1 comment approved/);
    assert.deepEqual(context.problems, []);
  } finally {
    await context.close();
  }
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`a guest comments, the owner approves, it appears, and a member replies (${mode})`, async () => {
    const words = `Great read, ${mode}!`;
    let article;
    await asGuest(
      async (page) => {
        article = await nthPost(page, javaScriptEnabled ? 0 : 1);
        await page.goto(article);
        await page.click('text=Write a comment');
        if (javaScriptEnabled) {
          await page.waitForSelector('#c0-body');
          assert.equal(new URL(page.url()).pathname, article, 'the form came into the article');
        } else {
          await page.waitForURL((url) => url.pathname === `${article}/comment`);
        }
        await page.fill('#c0-name', 'Ann Guest');
        // A new address each time: under "hold a commenter's first comment", a known one goes straight in.
        await page.fill('#c0-email', `ann-${javaScriptEnabled ? 'js' : 'plain'}@example.org`);
        await page.fill('#c0-body', words);
        await think(page);
        await page.click('text=Post comment');
        await page.waitForSelector('text=Your comment is awaiting moderation.');
        if (!javaScriptEnabled) assert.equal(new URL(page.url()).pathname, article);
      },
      { javaScriptEnabled },
    );
    await approve(words, { javaScriptEnabled });
    await asGuest(
      async (page) => {
        await page.goto(article);
        const comment = page.locator('.comment', { hasText: words });
        assert.equal(await comment.count(), 1);
        assert.equal(await comment.locator('.comment__author').textContent(), 'Ann Guest');
        assert.equal(await comment.locator('.avatar').textContent(), 'AG');
      },
      { javaScriptEnabled },
    );
    // A member replies.
    const { context, page } = await signedUpMember(browser, folio, `Bo ${javaScriptEnabled ? 'Script' : 'Plain'}`, { javaScriptEnabled });
    try {
      await page.goto(article);
      await page.locator('.comment', { hasText: words }).getByRole('link', { name: /Reply/ }).click();
      if (javaScriptEnabled) {
        await page.waitForSelector('.comment__reply textarea');
        assert.equal(new URL(page.url()).pathname, article);
      } else {
        await page.waitForURL((url) => url.pathname === `${article}/comment`);
      }
      await page.locator('textarea[name=body]').fill(`Thanks, Ann (${mode})`);
      await think(page);
      await page.click('text=Post reply');
      // A member's first comment waits too (the demo holds first comments); the owner approves it.
      await page.waitForSelector('text=Your comment is awaiting moderation.');
      await approve(`Thanks, Ann (${mode})`, { javaScriptEnabled });
      await page.goto(article);
      const reply = page.locator('.comment-list--replies .comment', { hasText: `Thanks, Ann (${mode})` });
      assert.equal(await reply.count(), 1);
      assert.equal(await reply.locator('.comment__author').textContent(), `Bo ${javaScriptEnabled ? 'Script' : 'Plain'}`);
      assert.deepEqual(context.problems, []);
    } finally {
      await context.close();
    }
  });
}

test('the article with comments, the form with errors, the queue and the correction form pass axe', async () => {
  for (const colorScheme of ['light', 'dark']) {
    await asGuest(
      async (page) => {
        const article = await nthPost(page, 0);
        await page.goto(article);
        assert.ok((await page.locator('.comment').count()) > 0, 'the article has comments by now');
        assert.deepEqual(await axeViolations(page), [], `${article} (${colorScheme})`);
        await page.goto(`${article}/comment`);
        await think(page);
        await page.click('text=Post comment');
        await page.waitForSelector('.error-summary');
        assert.deepEqual(await axeViolations(page), [], `the comment form with errors (${colorScheme})`);
        await page.goto(article);
        await page.click('text=Write a comment');
        await page.waitForSelector('#c0-body');
        await page.click('text=Suggest a correction');
        await page.waitForSelector('#k-passage');
        assert.deepEqual(await axeViolations(page), [], `the article with both forms open (${colorScheme})`);
        await page.goto(`${article}/correction`);
        assert.deepEqual(await axeViolations(page), [], `the correction form (${colorScheme})`);
      },
      { colorScheme },
    );
    const { context, page } = await signedIn(browser, folio.base, { colorScheme });
    try {
      for (const path of ['/admin/comments', '/admin/comments?status=approved', '/admin/corrections']) {
        await page.goto(path);
        assert.deepEqual(await axeViolations(page), [], `${path} (${colorScheme})`);
      }
    } finally {
      await context.close();
    }
  }
});
