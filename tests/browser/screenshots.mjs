// Screenshots of the admin and the public pages at phone and desktop widths, light and dark, for
// looking at the design (not a test). Usage: FOLIO_BIN=… node screenshots.mjs OUT_DIR [NAME_FILTER]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, signedIn, startFolio } from './folio.mjs';

const out = process.argv[2] ?? 'screens';
const only = process.argv[3] ?? '';
mkdirSync(out, { recursive: true });

const folio = await startFolio({ posts: 30 });
const browser = await launch();
try {
  for (const [width, height, device] of [[390, 844, 'phone'], [1440, 900, 'desktop']]) {
    for (const colorScheme of ['light', 'dark']) {
      const { context, page } = await signedIn(browser, folio.base, { viewport: { width, height }, colorScheme });
      await page.goto('/admin/posts');
      const edit = await page.getAttribute('#results tbody tr:first-child td a', 'href');
      const shots = [
        ['dashboard', '/admin'],
        ['posts', '/admin/posts'],
        ['editor', edit],
        ['new-post', '/admin/posts/new'],
        ['tags', '/admin/tags'],
        ['settings', '/admin/settings'],
        ['home', '/'],
      ];
      for (const [name, path] of shots) {
        if (only && !name.includes(only)) continue;
        await page.goto(path);
        const file = join(out, `${name}-${device}-${colorScheme}.png`);
        // The whole page, up to two screens: enough to judge, small enough to look at.
        const full = await page.evaluate(() => document.documentElement.scrollHeight);
        const tall = name === 'editor' || name === 'new-post' ? height : Math.min(full, 2 * height);
        await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width, height: tall } });
        console.log(file);
      }
      await context.close();
    }
  }
} finally {
  await browser.close();
  await folio.stop();
}
