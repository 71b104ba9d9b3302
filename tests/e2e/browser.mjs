// Drives headless Chromium (Debian's, through playwright-core: nothing is downloaded)
// through the example page and prints what it saw as one JSON document on stdout.
// The pytest file starts the servers, runs this, and makes the assertions.
//
//   node tests/e2e/browser.mjs '{"executablePath": "/usr/bin/chromium",
//     "fakeMicrophone": "tests/e2e/output/microphone.wav",
//     "visits": [{"name": "allowed", "kind": "text", "url": "http://127.0.0.1:PORT/",
//                 "prompt": "Hi", "screenshots": {"done": "tests/e2e/output/allowed.png"}}]}'
//
// A "text" visit types a prompt and waits for the reply; a "voice" visit presses Start,
// lets the fake microphone talk, waits until the conversation has been resumed twice
// (after the Live stand-in's goAway, and after it drops the connection), presses Stop
// and opens the developer details. Every wait is for something the page shows; a
// screenshot is taken in each state the visit names (idle, listening, speaking,
// resumed, stopped, developer, done).
import { chromium } from 'playwright-core';

const ERROR = 'main[data-state="error"]';
// Without these, Chromium reaches for Google's hosts (updates, sync, field trials, QUIC).
const QUIET = [
  '--no-sandbox', // as root in a container; the page is our own
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=MediaRouter,OptimizationHints,Translate',
];
// A microphone that plays a file, and no permission prompt to answer.
const microphone = (wav) => [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${wav}`,
];

const plan = JSON.parse(process.argv[2]);
// launch() gives the browser a fresh temporary --user-data-dir of its own.
const browser = await chromium.launch({
  executablePath: plan.executablePath,
  headless: true,
  args: [...QUIET, ...(plan.fakeMicrophone ? microphone(plan.fakeMicrophone) : [])],
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
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  const seen = watch(page);
  const screenshot = async (name) => {
    const path = visit.screenshots?.[name];
    if (path) await page.screenshot({ path, fullPage: true });
  };
  try {
    await page.goto(visit.url, { waitUntil: 'load', timeout: 15_000 });
    await screenshot('idle');
    await (visit.kind === 'voice' ? talk(page, screenshot) : type(page, visit.prompt, visit.retry));
  } catch (error) {
    seen.pageErrors.push(`driver: ${error.message}`);
  }
  const shown = await read(page);
  await screenshot('done');
  await context.close();
  return { ...seen, ...shown };
}

async function type(page, prompt, retry) {
  await page.fill('#prompt', prompt);
  await page.click('button[name="send"]');
  await page.waitForSelector(`main[data-turns="1"][data-state="ready"], ${ERROR}`, { timeout: 20_000 });
  if (!retry || !(await page.$(ERROR))) return;
  // "Try again" repeats what failed: a second token request, and the same clear error.
  await page.click('#retry');
  await page.waitForSelector('main[data-errors="2"]', { timeout: 20_000 });
}

async function talk(page, screenshot) {
  await page.click('#talk');
  await page.waitForSelector(`main[data-state="listening"], ${ERROR}`, { timeout: 20_000 });
  await page.waitForFunction(() => Number(document.getElementById('chunks-sent').textContent) > 0);
  await screenshot('listening');
  // The stand-in answers and sends goAway; the page resumes, gets an interrupted turn,
  // loses the connection without warning, resumes again and gets a third turn.
  const resumed = 'main[data-resumed="2"][data-turns="3"][data-state="listening"]';
  // Speaking lasts as long as a reply plays (half a second and more); should the driver
  // not see it, the end of the script ends this wait too, rather than a timeout.
  await page.waitForSelector(`main[data-state="speaking"], ${resumed}, ${ERROR}`, { timeout: 30_000 });
  await screenshot('speaking');
  await page.waitForSelector(`${resumed}, ${ERROR}`, { timeout: 30_000 });
  await screenshot('resumed');
  await page.click('#talk');
  await page.waitForSelector(`main[data-state="stopped"], ${ERROR}`, { timeout: 10_000 });
  await screenshot('stopped');
  await page.click('#developer summary');
  await screenshot('developer');
}

function watch(page) {
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
    const record = { url: socket.url(), sent: 0, received: 0 };
    seen.websockets.push(record);
    socket.on('framesent', () => (record.sent += 1));
    socket.on('framereceived', () => (record.received += 1));
  });
  return seen;
}

async function read(page) {
  const text = async (selector) => ((await page.textContent(selector)) ?? '').trim();
  const number = async (selector) => Number(await text(selector));
  return {
    state: await page.getAttribute('main', 'data-state'),
    resumed: Number((await page.getAttribute('main', 'data-resumed')) ?? 0),
    errors: Number((await page.getAttribute('main', 'data-errors')) ?? 0),
    tokensReceived: Number((await page.getAttribute('main', 'data-tokens')) ?? 0),
    status: await text('#status'),
    transcript: await page.$$eval('#transcript li', (items) =>
      items.map((item) => ({ who: item.className, text: item.textContent })),
    ),
    tokenShown: await page.$eval('#token', (element) => !element.hidden),
    developerOpen: await page.$eval('#developer', (element) => element.open),
    problemVisible: await page.isVisible('#problem'),
    problem: await text('#problem-text'),
    retryVisible: await page.isVisible('#retry'),
    prompt: await page.inputValue('#prompt'),
    tokenExpires: await text('#token-expires'),
    tokenUses: await text('#token-uses'),
    tokenModel: await text('#token-model'),
    chunksSent: await number('#chunks-sent'),
    playedMs: await number('#played-ms'),
    connections: await number('#connections'),
    events: await page.$$eval('#events li', (items) => items.map((item) => item.textContent)),
  };
}
