// Drives the playground in headless Chromium as a person would: open the explorer
// (the GraphiQL explorer plugin, served from the binary like the rest) and check that
// it lists the schema's root fields; paste a token, run
// `viewer`, and check that the answer names the token's user; then start the
// `nominationEvents` subscription (over graphql-transport-ws, with the same pasted
// token), submit a nomination from outside, and check that the event shows up in the
// response pane; and that the page logged no errors (a Content-Security-Policy refusal
// among them). CI runs it against the demo server (.ci/run); by hand:
//
//   apt-get install chromium && (cd .ci/audit && npm ci)
//   export JWT_SECRET=$(head -c 48 /dev/urandom | base64)
//   cargo run -p api -- serve --demo --bind 127.0.0.1:8099 &
//   TOKEN=$(cargo run -q -p api -- token --role STAFF --sub merve) \
//     NODE_PATH=.ci/audit/node_modules node tests/browser/playground-check.js
//
// SCREENSHOT=file.png keeps a picture of the page with the event in it.
const { chromium } = require('playwright-core');

(async () => {
  const url = process.env.PLAYGROUND_URL || 'http://127.0.0.1:8099/graphql';
  const token = process.env.TOKEN;
  if (!token) throw new Error('set TOKEN to a staff token for handle merve');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);

  // The explorer: its sidebar button opens a panel listing the fields of the query in
  // the editor's root type, read from the schema by introspection.
  let explorer = '';
  try {
    await page.click('button[aria-label="Show GraphiQL Explorer"]', { timeout: 10000 });
    await page.waitForFunction(() => (document.querySelector('.graphiql-explorer-root') || {}).textContent?.includes('fellows'),
      null, { timeout: 10000 });
    explorer = await page.textContent('.graphiql-explorer-root');
    await page.click('button[aria-label="Hide GraphiQL Explorer"]');
  } catch (e) {
    explorer = `no explorer: ${e.message}`;
  }

  await page.fill('#token', token);
  await page.click('#token-bar button[type=submit]');
  await page.click('.graphiql-query-editor .CodeMirror');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('{ viewer { role handle } }');
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(() => (document.querySelector('.graphiql-response') || {}).textContent?.includes('role'));
  const result = await page.textContent('.graphiql-response');

  // A subscription from the same editor, with the same token.
  await page.click('.graphiql-query-editor .CodeMirror');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('subscription { nominationEvents { kind nomination { nomineeHandle status } } }');
  // GraphiQL parses the editor's text after a pause; run what it parsed, as a person would.
  await page.waitForTimeout(1000);
  await page.click('.graphiql-execute-button');
  await page.waitForTimeout(1500);
  const handle = `browser-${Date.now()}`;
  const submitted = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: 'mutation($input: SubmitNominationInput!) { submitNomination(input: $input) { userErrors { message } } }',
      variables: { input: { nomineeName: 'Browser Nominee', nomineeHandle: handle, nomineeEmail: `${handle}@example.org`,
        rationale: 'Seen live in the playground.', strategicAreaSlugs: [], links: [] } },
    }),
  }).then((r) => r.json());
  let event = '';
  try {
    await page.waitForFunction((h) => (document.querySelector('.graphiql-response') || {}).textContent?.includes(h),
      handle, { timeout: 10000 });
    event = await page.textContent('.graphiql-response');
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
  } catch (e) {
    event = `no event: ${await page.textContent('.graphiql-response')} ${JSON.stringify(submitted)}`;
  }
  await browser.close();
  const explored = ['fellows', 'viewer', 'organizations'].every((field) => explorer.includes(field));
  const ok = explored && result.includes('"STAFF"') && result.includes('"merve"')
    && event.includes('SUBMITTED') && errors.length === 0;
  console.log(ok ? 'playground: ok (explorer, query and subscription)'
    : `playground: FAILED\n${explorer}\n${result}\n${event}\n${errors.join('\n')}`);
  process.exit(ok ? 0 : 1);
})();
