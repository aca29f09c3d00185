// The admin in real Chromium: what htmx adds (filtering as you type, live preview, autosave,
// in-place errors with focus, conflicts, delete dialogs), and the same screens without JavaScript.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, launch, signedIn, startFolio } from './folio.mjs';

let folio;
let browser;

before(async () => {
  folio = await startFolio();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await folio?.stop();
});

/** Runs `body` with a signed-in page, then checks the page logged no errors or CSP violations. */
async function withAdmin(body, options) {
  const { context, page } = await signedIn(browser, folio.base, options);
  try {
    await body(page, context);
    assert.deepEqual(context.problems, [], 'the browser reported problems');
  } finally {
    await context.close();
  }
}

test('the post list filters as you type, in place, and keeps the filter in the address', async () => {
  await withAdmin(async (page) => {
    await page.goto('/admin/posts');
    const total = await page.textContent('#results [role=status]');
    assert.match(total, /^\d+ posts/);
    const title = (await page.textContent('#results tbody tr:nth-child(3) td a')).trim();
    await page.evaluate(() => (window.sameDocument = true));
    // Extensions (password managers, say) put style attributes on inputs. htmx's settling copies
    // them onto the swapped-in elements with the same id, which the CSP blocks: it is told not to.
    await page.evaluate(() => document.querySelectorAll('#results [id]').forEach((e) => (e.style.outline = '1px solid')));
    await page.fill('#f-q', title);
    await page.waitForURL((url) => url.searchParams.get('q') === title);
    await page.waitForFunction(() => document.querySelectorAll('#results tbody tr').length === 1);
    assert.equal((await page.textContent('#results tbody tr td a')).trim(), title);
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the list was swapped, not reloaded');
    await page.selectOption('#f-status', 'draft');
    await page.waitForURL((url) => url.searchParams.get('status') === 'draft');
  });
});

test('the editor previews Markdown live, sanitised, and autosaves a new draft', async () => {
  await withAdmin(async (page) => {
    await page.goto('/admin/posts/new');
    await page.fill('#f-title', 'Typed in Chromium');
    await page.locator('#f-body').pressSequentially(
      '# Live heading\n\nSome **bold** text <img src="/static/img/favicon.svg" onload="window.pwned=1"> <script>window.pwned=2</script>',
    );
    // The preview is shut at first, so the writing column is whole; opened, it shows the body.
    assert.equal(await page.isVisible('#preview'), false);
    await page.click('summary:text("Preview")');
    await page.waitForSelector('#preview h1:has-text("Live heading")');
    assert.equal(await page.isVisible('#f-body'), false, 'the preview takes the body\'s place');
    await page.click('summary:text("Preview")');
    assert.equal(await page.textContent('#preview strong'), 'bold');
    assert.equal(await page.locator('#preview img').count(), 1);
    assert.equal(await page.locator('#preview [onload], #preview script').count(), 0, 'script is stripped');
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    // Five seconds after the last keystroke the draft exists and the address names it.
    await page.waitForURL(/\/admin\/posts\/\d+\/edit$/, { timeout: 15_000 });
    await page.waitForSelector('#autosave :text("Draft autosaved at")');
    const id = await page.inputValue('#f-id');
    assert.match(id, /^\d+$/);
    await page.reload();
    assert.equal(await page.inputValue('#f-title'), 'Typed in Chromium');
    assert.match(await page.inputValue('#f-body'), /Some \*\*bold\*\* text/);
  });
});

test('invalid input is shown in place with the values kept and the error summary focused', async () => {
  await withAdmin(async (page) => {
    await page.goto('/admin/posts/new');
    await page.fill('#f-body', 'A body without a title.');
    await page.fill('#f-slug', 'Not A Slug!');
    await page.evaluate(() => (window.sameDocument = true));
    await page.click('button[value=save]');
    await page.waitForSelector('.error-summary');
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the form was swapped in place');
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('error-summary')), true);
    assert.equal(await page.getAttribute('#f-title', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#f-slug', 'aria-invalid'), 'true');
    assert.equal(await page.inputValue('#f-body'), 'A body without a title.');
    assert.equal(await page.inputValue('#f-slug'), 'Not A Slug!');
  });
});

test('the second of two editors saving the same version gets a conflict and keeps their text', async () => {
  await withAdmin(async (first, context) => {
    await first.goto('/admin/posts');
    const edit = await first.getAttribute('#results tbody tr:first-child td a', 'href');
    const second = await context.newPage();
    await first.goto(edit);
    await second.goto(edit);
    await first.fill('#f-title', 'Saved by the first editor');
    await first.click('button[value=save]');
    await first.waitForSelector('.notice');

    await second.fill('#f-body', 'The second editor wrote this.');
    await second.click('button[value=save]');
    await second.waitForSelector('.conflict');
    assert.match(await second.textContent('.conflict'), /Someone else saved first/);
    assert.equal(await second.inputValue('#f-body'), 'The second editor wrote this.');
    assert.equal(await second.evaluate(() => document.activeElement.classList.contains('conflict')), true);
    // Saving again, knowingly, replaces their version.
    await second.click('button[value=save]');
    await second.waitForSelector('.notice');
    await second.reload();
    assert.equal(await second.inputValue('#f-body'), 'The second editor wrote this.');
  });
});

test('delete asks in a dialog; cancelling keeps the post', async () => {
  await withAdmin(async (page) => {
    await page.goto('/admin/posts');
    const link = page.locator('#results tbody tr:first-child td a');
    const title = (await link.textContent()).trim();
    await page.goto(await link.getAttribute('href'));
    const deletes = [];
    page.on('request', (request) => request.url().endsWith('/delete') && deletes.push(request.method()));
    page.once('dialog', (dialog) => dialog.dismiss());
    await page.click('text=Delete…');
    await page.waitForTimeout(300);
    assert.deepEqual(deletes, [], 'cancelled: nothing was sent');
    assert.match(page.url(), /\/edit$/);
    page.once('dialog', (dialog) => {
      assert.match(dialog.message(), /Delete this post/);
      dialog.accept();
    });
    await Promise.all([page.waitForURL(/\/admin\/posts$/), page.click('text=Delete…')]);
    await page.fill('#f-q', title);
    await page.waitForURL((url) => url.searchParams.get('q') === title);
    await page.waitForSelector('#results :text("No posts match")');
  });
});

test('without JavaScript, forms post, redirect and show errors as whole pages', async () => {
  await withAdmin(
    async (page) => {
      await page.goto('/admin/posts/new');
      await page.fill('#f-title', 'Written without JavaScript');
      await page.fill('#f-body', 'Plain *forms* still work.');
      await Promise.all([page.waitForURL(/\/admin\/posts\/\d+\/edit$/), page.click('button[value=save]')]);
      await page.waitForSelector('.notice');

      await page.fill('#f-title', '');
      const response = await Promise.all([page.waitForNavigation(), page.click('button[value=save]')]);
      assert.equal(response[0].status(), 422);
      assert.ok(await page.isVisible('.error-summary'));
      assert.equal(await page.inputValue('#f-body'), 'Plain *forms* still work.');

      await page.click('text=Delete…');
      await page.waitForURL(/\/delete$/);
      await Promise.all([page.waitForURL(/\/admin\/posts/), page.click('button.button--danger')]);
      await page.fill('#f-q', 'Written without JavaScript');
      await Promise.all([page.waitForNavigation(), page.press('#f-q', 'Enter')]);
      assert.ok(await page.isVisible('text=No posts match'));
    },
    { javaScriptEnabled: false },
  );
});

test('signing in, staff land in the admin, a workspace of its own without the blog header or footer', async () => {
  await withAdmin(async (page) => {
    assert.equal(new URL(page.url()).pathname, '/admin');
    assert.equal(await page.locator('.site-header, .site-footer').count(), 0);
    assert.equal(await page.locator('header.admin-side nav[aria-label=Admin] a[aria-current=page]').textContent(), 'Dashboard');
    assert.ok(await page.isVisible('.admin-side button:text("Sign out")'));
  });
});

test('the editor gives a wide writing column that grows with the text, and clear buttons', async () => {
  await withAdmin(
    async (page) => {
      await page.goto('/admin/posts?status=published');
      await page.goto(await page.getAttribute('#results tbody tr:first-child td a', 'href'));
      const body = page.locator('#f-body');
      const box = await body.boundingBox();
      assert.ok(box.width >= 600, `the body is ${box.width} px wide`);
      await body.fill('Line\n'.repeat(120));
      const grown = await body.boundingBox();
      assert.ok(grown.height > 120 * 20, `the body grew to ${grown.height} px for 120 lines`);
      assert.equal(await page.evaluate(() => document.querySelector('#f-body').scrollHeight - document.querySelector('#f-body').clientHeight), 0, 'no inner scrolling');
      // One solid primary action; destructive ones are outlined in another colour.
      const look = (selector) => page.locator(selector).first().evaluate((e) => {
        const s = getComputedStyle(e);
        return { background: s.backgroundColor, color: s.color, width: e.getBoundingClientRect().height };
      });
      const primary = await look('.publish-bar button[value=save]');
      const unpublish = await look('.publish-bar button[value=unpublish]');
      const remove = await look('a:text("Delete…")');
      for (const danger of [unpublish, remove]) {
        assert.notEqual(danger.background, primary.background, 'danger is not filled like the primary');
        assert.notEqual(danger.color, primary.color);
      }
      assert.equal(unpublish.width, primary.width, 'buttons in the bar share one height');
    },
    { viewport: { width: 1440, height: 900 } },
  );
});

test('on a phone the publish bar stays on screen, and the post list fits the width', async () => {
  await withAdmin(
    async (page) => {
      await page.goto('/admin/posts');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');
      assert.equal(await page.locator('#results tbody td a').first().evaluate((a) => getComputedStyle(a).textDecorationLine), 'none');
      await page.goto(await page.getAttribute('#results tbody tr:first-child td a', 'href'));
      for (const y of [0, 1500]) {
        await page.evaluate((to) => window.scrollTo(0, to), y);
        const save = await page.locator('.publish-bar button[value=save]').boundingBox();
        assert.ok(save && save.y >= 0 && save.y + save.height <= 844, `"Save" is on screen at scroll ${y}: ${JSON.stringify(save)}`);
      }
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
    },
    { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  );
});

test('without JavaScript the preview still opens and shuts', async () => {
  await withAdmin(
    async (page) => {
      await page.goto('/admin/posts');
      await page.goto(await page.getAttribute('#results tbody tr:first-child td a', 'href'));
      assert.equal(await page.isVisible('#preview'), false);
      await page.click('summary:text("Preview")');
      assert.equal(await page.isVisible('#preview'), true);
      assert.equal(await page.isVisible('#f-body'), false);
      assert.ok((await page.textContent('#preview')).length > 100, 'the preview shows the saved body');
      await page.click('summary:text("Preview")');
      assert.equal(await page.isVisible('#f-body'), true);
    },
    { javaScriptEnabled: false },
  );
});

test('bulk "Apply" with nothing selected says so without a dialog; deleting asks on a page', async () => {
  await withAdmin(async (page) => {
    const dialogs = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss();
    });
    await page.goto('/admin/posts');
    await Promise.all([page.waitForURL(/\/admin\/posts/), page.click('button:text("Apply")')]);
    await page.waitForSelector('.notice:text("Select at least one post first.")');
    assert.deepEqual(dialogs, []);
    const title = (await page.textContent('#results tbody tr:first-child td a')).trim();
    await page.check('#results tbody tr:first-child input[type=checkbox]');
    await page.selectOption('#bulk-action', 'delete');
    await page.click('button:text("Apply")');
    await page.waitForSelector('h1:text("Delete posts?")');
    await Promise.all([page.waitForURL(/\/admin\/posts/), page.click('button:text("Delete the post")')]);
    await page.waitForSelector('.notice:text("1 post deleted.")');
    assert.equal(await page.locator(`#results a:text-is("${title}")`).count(), 0);
    assert.deepEqual(dialogs, []);
  });
});

test('an empty new post gets one message for its one omission', async () => {
  await withAdmin(async (page) => {
    await page.goto('/admin/posts/new');
    await page.click('button[value=save]');
    await page.waitForSelector('.error-summary');
    assert.deepEqual(await page.locator('.error-summary li').allTextContents(), ['Enter a title.']);
  });
});

test('the admin screens pass axe (WCAG 2.1 AA), light and dark, wide and narrow', async () => {
  for (const [colorScheme, width] of [['light', 1440], ['dark', 1440], ['light', 390], ['dark', 390]]) {
    await withAdmin(
      async (page) => {
        await page.goto('/admin/posts');
        const edit = await page.getAttribute('#results tbody tr:first-child td a', 'href');
        const screens = ['/admin', '/admin/posts', '/admin/posts/new', edit, `${edit.replace('/edit', '')}/revisions`, '/admin/pages',
          '/admin/pages/new', '/admin/tags', '/admin/series', '/admin/media', '/admin/users', '/admin/settings', '/admin/audit', '/account', '/account/tokens'];
        for (const path of screens) {
          await page.goto(path);
          assert.deepEqual(await axeViolations(page), [], `${path} (${colorScheme}, ${width} px)`);
          assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, `${path} fits ${width} px`);
        }
        // The preview open, and a form with errors.
        await page.goto(edit);
        await page.click('summary:text("Preview")');
        assert.deepEqual(await axeViolations(page), [], `preview (${colorScheme}, ${width} px)`);
        await page.goto('/admin/posts/new');
        await page.click('button[value=save]');
        await page.waitForSelector('.error-summary');
        assert.deepEqual(await axeViolations(page), [], `errors (${colorScheme}, ${width} px)`);
      },
      { colorScheme, viewport: { width, height: 900 } },
    );
  }
});
