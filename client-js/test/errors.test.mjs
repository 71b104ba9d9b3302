// How an error answer of the function becomes a TokenError (`node --test test/`).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TokenError, parseRetryAfter } from '../src/index.js';
import { errorFromResponse } from '../src/errors.js';

const answer = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers });

test('a 429 carries its status name, message and Retry-After, and is retryable', () => {
  const body = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota used up.' } };
  const error = errorFromResponse(answer(429, body, { 'Retry-After': '7' }), body);
  assert.ok(error instanceof TokenError);
  assert.equal(error.code, 429);
  assert.equal(error.status, 'RESOURCE_EXHAUSTED');
  assert.equal(error.retryAfterSeconds, 7);
  assert.equal(error.reason, null);
  assert.equal(error.retryable, true);
  assert.equal(error.message, 'The token function answered 429 RESOURCE_EXHAUSTED: Quota used up. (retry in 7 s)');
});

test('a reason in Google error details is carried', () => {
  const body = {
    error: {
      code: 403,
      status: 'PERMISSION_DENIED',
      message: 'no',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ORIGIN_NOT_ALLOWED' }],
    },
  };
  const error = errorFromResponse(answer(403, body), body);
  assert.equal(error.reason, 'ORIGIN_NOT_ALLOWED');
  assert.equal(error.retryable, false);
});

test('an error answer without a body still says what happened', () => {
  const error = errorFromResponse(new Response('<html>', { status: 503 }), null);
  assert.equal(error.status, 'UNAVAILABLE');
  assert.match(error.message, /503 UNAVAILABLE: no details/);
  assert.equal(error.retryAfterSeconds, null);
});

test('Retry-After is read as seconds or as an HTTP date, and garbage is ignored', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120);
  assert.equal(parseRetryAfter('Thu, 26 Nov 2026 12:00:30 GMT', now), 30);
  assert.equal(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(null, now), null);
});
