// Run by `make e2e`, which starts the function and the Live stand-in and passes their
// URLs in TOKENVEND_FUNCTION_URL and LIVE_BASE_URL. Without them there is nothing to
// talk to, and the tests are skipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ask } from './live-client.mjs';

const functionUrl = process.env.TOKENVEND_FUNCTION_URL;
const liveBaseUrl = process.env.LIVE_BASE_URL;
const skip = !functionUrl || !liveBaseUrl ? 'needs the servers make e2e starts' : false;
const REPLY_PREFIX = 'Hello from the fake Live server. You said: ';

test('a reply to one text turn comes back as audio and its transcription', { skip }, async () => {
  const reply = await ask(functionUrl, 'Hello from Node', { liveBaseUrl });
  assert.equal(reply.transcript, REPLY_PREFIX + 'Hello from Node');
  assert.equal(reply.mimeType, 'audio/pcm;rate=24000');
  assert.equal(reply.audio.length, 2 * 24000 * 0.5); // two 250 ms chunks of 16-bit samples
  assert.equal(reply.token.model, 'models/gemini-3.8-live');
  assert.equal(reply.token.apiVersion, 'v1alpha');
});
