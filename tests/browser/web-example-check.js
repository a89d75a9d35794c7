// Drives the example frontend (examples/web, built and served from dist/) in headless
// Chromium against the real server with the demo data, as a person would: the first
// page of fellows is the demo's, Next and Previous page through all seven by cursor,
// a fellow opens, a pasted staff token signs in, and a nomination submitted from
// outside (over HTTP, with the same token) shows up live through the page's
// graphql-ws subscription; the page logs no error on the way. CI runs it (.ci/run);
// by hand, with the server of the playground check on 127.0.0.1:8099 started with
// CORS_ALLOWED_ORIGINS=http://127.0.0.1:4173:
//
//   (cd examples/web && npm ci && VITE_GRAPHQL_URL=http://127.0.0.1:8099/graphql npm run build \
//     && npx vite preview --host 127.0.0.1 --port 4173 --strictPort &)
//   TOKEN=$(cargo run -q -p api -- token --role STAFF --sub merve) GRAPHQL_URL=http://127.0.0.1:8099/graphql \
//     WEB_URL=http://127.0.0.1:4173/ NODE_PATH=.ci/audit/node_modules node tests/browser/web-example-check.js
//
// SCREENSHOT=file.png keeps a picture of the page with the event in it.
const { chromium } = require('playwright-core');

// The seven first fellows (shared/DEMO-FACTS.md) by name, three to a page.
const PAGES = [
  ['Aritra Roy Gosthipathy', 'Bram Vanroy', 'Ceyda Çınarel'],
  ['Christopher Akiki', 'Manuel Romero', 'María Grandury'],
  ['Vaibhav Srivastav'],
];

const fail = (message) => {
  console.log(`web example: FAILED: ${message}`);
  process.exit(1);
};

(async () => {
  const webUrl = process.env.WEB_URL || 'http://127.0.0.1:4173/';
  const graphqlUrl = process.env.GRAPHQL_URL || 'http://127.0.0.1:8099/graphql';
  const token = process.env.TOKEN;
  if (!token) fail('set TOKEN to a staff token for handle merve');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.setDefaultTimeout(10000);
  const step = async (what, action) => {
    try {
      return await action();
    } catch (e) {
      if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
      await browser.close();
      return fail(`${what}: ${e.message.split('\n')[0]}\n${errors.join('\n')}`);
    }
  };

  const names = () => page.$$eval('#fellows li a', (links) => links.map((a) => a.textContent));
  const onPage = (index) => step(`page ${index + 1} of fellows`, async () => {
    await page.waitForFunction((expected) => {
      const shown = [...document.querySelectorAll('#fellows li a')].map((a) => a.textContent);
      return JSON.stringify(shown) === JSON.stringify(expected);
    }, PAGES[index]);
    const hasPrevious = await page.$('#previous') !== null;
    const hasNext = await page.$('#next') !== null;
    if (hasPrevious !== index > 0 || hasNext !== index < PAGES.length - 1) {
      throw new Error(`page ${index + 1} offers previous=${hasPrevious} next=${hasNext}`);
    }
  });

  await step('open the page', () => page.goto(webUrl));
  await onPage(0);
  const heading = await page.textContent('h2');
  if (heading !== 'Fellows (7)') fail(`the list says "${heading}", not "Fellows (7)"`);
  // Forwards to the end, back to the start: `after: endCursor`, `before: startCursor`.
  for (const [button, index] of [['#next', 1], ['#next', 2], ['#previous', 1], ['#previous', 0], ['#next', 1]]) {
    await step(`click ${button}`, () => page.click(button));
    await onPage(index);
  }

  // One fellow.
  await step('open a fellow', () => page.click('#fellows a:text-is("María Grandury")'));
  const fellow = await step('the fellow\'s page', async () => {
    await page.waitForSelector('#fellow h2:text-is("María Grandury")');
    await page.waitForSelector('#contributions li');
    return page.textContent('#fellow');
  });
  if (!fellow.includes('@mariagrandury') || !fellow.includes('active')) fail(`fellow page: ${fellow}`);
  await step('back to the list', () => page.click('#back'));
  await onPage(0);

  // Sign in as staff and follow nomination events.
  await step('sign in', async () => {
    await page.fill('#token', token);
    await page.click('#sign-in button[value=in]');
    await page.waitForFunction(() => document.querySelector('#whoami')?.textContent?.includes('Merve Noyan (STAFF)'));
    // Shown once the page knows where events stand, so the change below cannot be missed.
    await page.waitForSelector('#live .waiting');
  });
  const stored = await page.evaluate(() => sessionStorage.getItem('fellowship.token'));
  if (stored !== token) fail('the token is not in sessionStorage');

  const handle = `web-${Date.now()}`;
  const submitted = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: 'mutation WebCheckNominates($input: SubmitNominationInput!) { submitNomination(input: $input) { userErrors { message } } }',
      variables: { input: { nomineeName: 'Web Nominee', nomineeHandle: handle, nomineeEmail: `${handle}@example.org`,
        rationale: 'Seen live in the example frontend.', strategicAreaSlugs: [], links: [] } },
    }),
  }).then((r) => r.json());
  if (submitted.errors || submitted.data.submitNomination.userErrors.length) fail(JSON.stringify(submitted));
  const event = await step('the nomination event, live', async () => {
    await page.waitForSelector(`#events li[data-handle="${handle}"]`);
    return page.textContent(`#events li[data-handle="${handle}"]`);
  });
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  await browser.close();
  if (!event.includes('SUBMITTED') || !event.includes('Merve Noyan')) fail(`event: ${event}`);
  if (errors.length) fail(`the page logged errors:\n${errors.join('\n')}`);
  console.log('web example: ok (fellows paged forward and back, a fellow, a live nomination event)');
  process.exit(0);
})();
