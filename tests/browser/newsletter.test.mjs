// The newsletter in real Chromium, with JavaScript on and off (issue 18): a reader subscribes
// from an article, confirms from the mail (read from the outbox), changes to the digest and
// unsubscribes; axe checks the article's sign-up box, the subscribe form (with an error), the
// confirmation page and the subscriber's own page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, launch, startFolio, watch } from './folio.mjs';

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

/** axe's verdict on the page; it runs as script, so only in the context with JavaScript. */
async function noViolations(page, what, javaScriptEnabled) {
  if (javaScriptEnabled) assert.deepEqual(await axeViolations(page), [], `axe on ${what}`);
}

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';

  test(`a reader subscribes from an article, confirms, takes the digest and leaves (${mode})`, { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ baseURL: folio.base, javaScriptEnabled });
    const problems = [];
    context.on('page', (page) => watch(page, problems));
    const page = await context.newPage();
    const email = `reader-${javaScriptEnabled ? 'js' : 'plain'}@example.org`;
    try {
      await page.goto('/');
      const article = await page.locator('.card__title a').first().getAttribute('href');
      await page.goto(article);
      await noViolations(page, 'the article with its sign-up box', javaScriptEnabled);
      await page.fill('#subscribe-box-email', email);
      await page.locator('.subscribe-box').getByRole('button', { name: 'Subscribe' }).click();
      // The form that posts (with its token and stamp) comes into the article, or is a page of its own.
      await page.waitForSelector('#s-email');
      if (javaScriptEnabled) assert.equal(new URL(page.url()).pathname, article);
      else assert.equal(new URL(page.url()).pathname, '/subscribe');
      assert.equal(await page.inputValue('#s-email'), email, 'the address typed is kept');

      // A mistyped address: refused with what was typed kept, and a message at the field.
      await page.fill('#s-email', 'reader at example.org');
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.waitForSelector('.field__error');
      assert.equal(await page.inputValue('#s-email'), 'reader at example.org');
      await noViolations(page, 'the subscribe form with an error', javaScriptEnabled);

      // The address came filled in from the box, so confirming it at once is not "too quick".
      await page.fill('#s-email', email);
      await Promise.all([
        page.waitForURL((url) => url.pathname === '/subscribe/check-inbox'),
        page.getByRole('button', { name: 'Subscribe' }).click(),
      ]);
      await noViolations(page, 'check your inbox', javaScriptEnabled);

      const mail = folio.outbox().split(/\n#\d+ /).find((m) => m.startsWith(`To: ${email}`));
      assert.ok(mail, `a confirmation mail to ${email}`);
      const link = mail.match(/\/subscribe\/confirm\/\d+\/\d+\/[A-Za-z0-9_-]+/)[0];
      await page.goto(link);
      await noViolations(page, 'the confirmation page', javaScriptEnabled);
      await Promise.all([
        page.waitForURL((url) => url.pathname.startsWith('/newsletter/')),
        page.getByRole('button', { name: 'Confirm my subscription' }).click(),
      ]);
      assert.match(await page.textContent('.notice'), /You are subscribed/);
      await noViolations(page, 'the subscriber’s page', javaScriptEnabled);

      await page.check('#m-cadence-digest');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForSelector('text=one digest per period');
      assert.equal(await page.isChecked('#m-cadence-digest'), true);

      await page.getByRole('button', { name: 'Unsubscribe' }).click();
      await page.waitForSelector('text=Nothing more will be sent to you');
      await page.waitForSelector('text=Subscribe again');
      assert.deepEqual(problems, [], 'the browser reported problems');
    } finally {
      await context.close();
    }
  });
}
