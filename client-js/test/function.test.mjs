// The package against the real tokenvend function (a functions-framework process) and
// the Live API stand-in, as `make e2e` runs it (tests/e2e/journey.py starts them and
// passes their URLs). Alone, `npm test` skips these with the reason.
//
//   TOKENVEND_FUNCTION_URL   a profile with callers: anonymous, uses: 1, resumable
//   TOKENVEND_EXHAUSTED_URL  a profile whose Gemini answers 429 with Retry-After: 7
//   LIVE_BASE_URL            the Live stand-in (tests/e2e/live_fake.py)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LiveTokenSource, TokenError, VoiceSession, fetchLiveToken } from '../src/index.js';

const { TOKENVEND_FUNCTION_URL: functionUrl, TOKENVEND_EXHAUSTED_URL: exhaustedUrl, LIVE_BASE_URL: liveBaseUrl } =
  process.env;
const skip = functionUrl && exhaustedUrl && liveBaseUrl ? false : 'needs the servers of make e2e';
const REPLY_PREFIX = 'Hello from the fake Live server. You said: ';
const SILENCE_100_MS = Buffer.alloc(3200).toString('base64');

test('the function hands out a token of the documented shape', { skip }, async () => {
  const token = await fetchLiveToken(functionUrl);
  assert.match(token.name, /^auth_tokens\//);
  assert.equal(token.uses, 1);
  assert.equal(token.apiVersion, 'v1alpha');
  assert.match(token.model, /^models\//);
  assert.ok(Date.parse(token.newSessionExpireTime) < Date.parse(token.expireTime));
  assert.match(token.websocketUrl, /BidiGenerateContentConstrained$/);
});

test('an origin the profile does not list is a 403 TokenError with the function message', { skip }, async () => {
  const refused = fetchLiveToken(functionUrl, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, Origin: 'https://elsewhere.example' } }),
  });
  await assert.rejects(refused, (error) => {
    assert.ok(error instanceof TokenError);
    assert.equal(error.code, 403);
    assert.equal(error.status, 'PERMISSION_DENIED');
    assert.equal(error.reason, 'ORIGIN_NOT_ALLOWED');
    assert.equal(error.retryable, false);
    assert.match(error.message, /^The token function answered 403 PERMISSION_DENIED: /);
    return true;
  });
});

test("Gemini's 429 reaches the app as RESOURCE_EXHAUSTED with Retry-After", { skip }, async () => {
  await assert.rejects(fetchLiveToken(exhaustedUrl), (error) => {
    assert.ok(error instanceof TokenError);
    assert.equal(error.code, 429);
    assert.equal(error.status, 'RESOURCE_EXHAUSTED');
    assert.equal(error.reason, 'UPSTREAM_QUOTA');
    assert.equal(error.retryAfterSeconds, 7);
    assert.equal(error.retryable, true);
    assert.doesNotMatch(error.message, /auth_tokens\//);
    return true;
  });
});

test('a voice session answers a typed turn, then resumes after goAway on the same token', { skip }, async () => {
  const tokens = new LiveTokenSource(functionUrl);
  let said = '';
  const resumed = [];
  let turns = 0;
  let turned;
  const nextTurn = () => new Promise((resolve) => (turned = resolve));
  let afterResume;
  const resumedOnce = new Promise((resolve) => (afterResume = resolve));
  const session = new VoiceSession(
    { tokens, liveBaseUrl },
    {
      said: (text) => (said += text),
      turn: () => ((turns += 1), turned?.()),
      resumed: (withHandle) => (resumed.push(withHandle), afterResume()),
      error: (error) => assert.fail(error),
    },
  );
  await session.start();
  try {
    let turn = nextTurn();
    assert.equal(session.sendText('Node here'), true);
    await turn;
    assert.equal(said, REPLY_PREFIX + 'Node here');
    // Half a second of (silent) microphone audio: the stand-in answers, then sends goAway.
    turn = nextTurn();
    for (let chunk = 0; chunk < 5; chunk += 1) session.sendAudio(SILENCE_100_MS);
    await turn;
    await resumedOnce;
    assert.deepEqual(resumed, [true]);
    assert.equal(session.connections, 2);
    assert.equal(session.resumptions, 1);
    assert.equal(tokens.fetched, 1); // resuming is not a use: no second token
    assert.equal(turns, 2);
  } finally {
    session.stop();
  }
  // A new conversation needs a new session, and uses: 1 is spent: the source fetches again.
  const again = new VoiceSession({ tokens, liveBaseUrl });
  await again.start();
  again.stop();
  assert.equal(tokens.fetched, 2);
});
