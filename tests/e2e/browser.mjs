// Drives headless Chromium (Debian's, through playwright-core: nothing is downloaded)
// through the example page and prints what it saw as one JSON document on stdout.
// The pytest file starts the servers, runs this, and makes the assertions.
//
//   node tests/e2e/browser.mjs '{"executablePath": "/usr/bin/chromium",
//     "visits": [{"name": "allowed", "url": "http://127.0.0.1:PORT/", "prompt": "Hi",
//                 "screenshot": "tests/e2e/output/allowed.png"}]}'
import { chromium } from 'playwright-core';

const FINISHED = 'main[data-state="done"], main[data-state="error"]';
// Without these, Chromium reaches for Google's hosts (updates, sync, field trials, QUIC).
const ARGS = [
  '--no-sandbox', // as root in a container; the page is our own
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=MediaRouter,OptimizationHints,Translate',
];

const plan = JSON.parse(process.argv[2]);
// launch() gives the browser a fresh temporary --user-data-dir of its own.
const browser = await chromium.launch({
  executablePath: plan.executablePath,
  headless: true,
  args: ARGS,
  timeout: 30_000,
});
const results = {};
try {
  for (const visit of plan.visits) results[visit.name] = await run(visit);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results) + '\n');

async function run(visit) {
  const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
  const page = await context.newPage();
  const seen = { console: [], responses: [], failedRequests: [], websockets: [], pageErrors: [] };
  page.on('console', (message) => seen.console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
  page.on('response', (response) =>
    seen.responses.push({
      method: response.request().method(),
      url: response.url(),
      status: response.status(),
      headers: response.headers(),
    }),
  );
  page.on('requestfailed', (request) =>
    seen.failedRequests.push({
      method: request.method(),
      url: request.url(),
      error: request.failure()?.errorText ?? '',
    }),
  );
  page.on('websocket', (socket) => {
    const record = { url: socket.url(), sent: [], received: 0 };
    seen.websockets.push(record);
    socket.on('framesent', (frame) => record.sent.push(String(frame.payload)));
    socket.on('framereceived', () => (record.received += 1));
  });
  try {
    await page.goto(visit.url, { waitUntil: 'load', timeout: 15_000 });
    await page.fill('#prompt', visit.prompt);
    await page.click('button[name="send"]');
    await page.waitForSelector(FINISHED, { timeout: 20_000 });
  } catch (error) {
    seen.pageErrors.push(`driver: ${error.message}`);
  }
  const text = async (selector) => ((await page.textContent(selector)) ?? '').trim();
  const shown = {
    state: await page.getAttribute('main', 'data-state'),
    status: await text('#status'),
    reply: await text('#reply'),
    tokenVisible: await page.isVisible('#token'),
    tokenExpires: await text('#token-expires'),
    tokenUses: await text('#token-uses'),
    tokenModel: await text('#token-model'),
    events: await page.$$eval('#events li', (items) => items.map((item) => item.textContent)),
  };
  if (visit.screenshot) await page.screenshot({ path: visit.screenshot, fullPage: true });
  await context.close();
  return { ...seen, ...shown };
}
