// When the page reuses its token and when it asks the function for a new one
// (`node --test test/`, also run by `make e2e`).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { canReuse } from '../src/token.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const token = (uses, expiresInS, newSessionsInS) => ({
  name: 'auth_tokens/x',
  uses,
  expireTime: new Date(NOW + expiresInS * 1000).toISOString(),
  newSessionExpireTime: new Date(NOW + newSessionsInS * 1000).toISOString(),
});

test('a resumption reuses the token while it is valid, even with its uses spent', () => {
  assert.equal(canReuse(token(1, 600, 60), { resuming: true, sessionsStarted: 1 }, NOW), true);
});

test('a resumption reuses the token after its window for new sessions has closed', () => {
  assert.equal(canReuse(token(1, 600, -1), { resuming: true, sessionsStarted: 1 }, NOW), true);
});

test('an expired token, or one about to expire, is replaced', () => {
  assert.equal(canReuse(token(1, -1, -1), { resuming: true, sessionsStarted: 1 }, NOW), false);
  assert.equal(canReuse(token(1, 4, 4), { resuming: true, sessionsStarted: 1 }, NOW), false);
});

test('a new session needs a use left and the new-session window open', () => {
  assert.equal(canReuse(token(1, 600, 60), { resuming: false, sessionsStarted: 0 }, NOW), true);
  assert.equal(canReuse(token(1, 600, 60), { resuming: false, sessionsStarted: 1 }, NOW), false);
  assert.equal(canReuse(token(3, 600, 60), { resuming: false, sessionsStarted: 2 }, NOW), true);
  assert.equal(canReuse(token(0, 600, 60), { resuming: false, sessionsStarted: 99 }, NOW), true);
  assert.equal(canReuse(token(3, 600, -1), { resuming: false, sessionsStarted: 0 }, NOW), false);
});

test('no token yet means asking for one', () => {
  assert.equal(canReuse(null, { resuming: false, sessionsStarted: 0 }), false);
});
