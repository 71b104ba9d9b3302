// When a token is reused and when the function is asked for a new one, and what a
// request carries (`node --test test/`, also run by `make e2e`).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';

import {
  LiveTokenSource,
  TokenError,
  TokenFormatError,
  TokenNetworkError,
  TokenvendClientError,
  canReuse,
  fetchLiveToken,
} from '../src/index.js';

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

test('a token whose times cannot be read is never reused, for a resumption or a new session', () => {
  const good = token(0, 600, 60);
  for (const resuming of [true, false]) {
    assert.equal(canReuse({ ...good, expireTime: 'soon' }, { resuming, sessionsStarted: 0 }, NOW), false);
    assert.equal(canReuse({ ...good, expireTime: undefined }, { resuming, sessionsStarted: 0 }, NOW), false);
  }
  assert.equal(canReuse({ ...good, newSessionExpireTime: 'later' }, { resuming: false, sessionsStarted: 0 }, NOW), false);
});

test('no token yet means asking for one', () => {
  assert.equal(canReuse(null, { resuming: false, sessionsStarted: 0 }), false);
});

// LiveTokenSource and fetchLiveToken against a small HTTP server on 127.0.0.1 that
// records what it was sent and answers with a token (the function itself: function.test.mjs).

async function tokenServer(answer = () => [200, {}]) {
  const requests = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: JSON.parse(body) });
      const [status, headers] = answer(requests.length);
      const now = Date.now();
      const token = {
        name: `auth_tokens/t${requests.length}`,
        expireTime: new Date(now + 600_000).toISOString(),
        newSessionExpireTime: new Date(now + 60_000).toISOString(),
        uses: 1,
        model: 'models/m',
        apiVersion: 'v1alpha',
        websocketUrl: 'ws://x',
      };
      const error = { error: { code: status, status: 'UNAVAILABLE', message: 'busy' } };
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(status === 200 ? token : error));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('the hooks are asked for their tokens and sent as Authorization and X-Firebase-AppCheck', async (t) => {
  const server = await tokenServer();
  t.after(server.close);
  const asked = [];
  await fetchLiveToken(server.url, {
    getIdToken: async () => 'id-token',
    getAppCheckToken: async (request) => (asked.push(request), 'app-check-token'),
    appCheckLimitedUse: true,
    options: { voice: 'Kore' },
  });
  const [{ headers, body }] = server.requests;
  assert.equal(headers.authorization, 'Bearer id-token');
  assert.equal(headers['x-firebase-appcheck'], 'app-check-token');
  assert.deepEqual(asked, [{ limitedUse: true }]);
  assert.deepEqual(body, { options: { voice: 'Kore' } });
});

test('without hooks the request carries no credentials and the body {}', async (t) => {
  const server = await tokenServer();
  t.after(server.close);
  await fetchLiveToken(server.url);
  const [{ headers, body }] = server.requests;
  assert.equal(headers.authorization, undefined);
  assert.equal(headers['x-firebase-appcheck'], undefined);
  assert.deepEqual(body, {});
});

test('a 503 with Retry-After becomes a retryable TokenError', async (t) => {
  const server = await tokenServer(() => [503, { 'Retry-After': '3' }]);
  t.after(server.close);
  await assert.rejects(fetchLiveToken(server.url), (error) => {
    assert.ok(error instanceof TokenError);
    assert.equal(error.code, 503);
    assert.equal(error.retryAfterSeconds, 3);
    assert.equal(error.retryable, true);
    return true;
  });
});

test('no server at all is a TokenNetworkError with code 0', async (t) => {
  const server = await tokenServer();
  await server.close();
  await assert.rejects(fetchLiveToken(server.url), (error) => {
    assert.ok(error instanceof TokenNetworkError);
    assert.equal(error.code, 0);
    assert.match(error.message, /unreachable/);
    return true;
  });
});

test('the source reuses its token for a resumption and fetches again for a session beyond uses', async (t) => {
  const server = await tokenServer();
  t.after(server.close);
  const tokens = new LiveTokenSource(server.url);
  const first = await tokens.get();
  tokens.started();
  assert.equal(await tokens.get({ resuming: true }), first);
  assert.equal(server.requests.length, 1);
  const second = await tokens.get();
  assert.notEqual(second.name, first.name);
  assert.equal(server.requests.length, 2);
  assert.equal(tokens.fetched, 2);
});

test('the source refreshes once the new-session window has passed, by its clock', async (t) => {
  const server = await tokenServer();
  t.after(server.close);
  let now = Date.now();
  const tokens = new LiveTokenSource(server.url, { now: () => now });
  const first = await tokens.get();
  now += 61_000;
  assert.equal(await tokens.get({ resuming: true }), first); // still valid for resuming
  assert.notEqual((await tokens.get()).name, first.name);
});

test('concurrent gets share one request, and discard forces a new one', async (t) => {
  const server = await tokenServer();
  t.after(server.close);
  const tokens = new LiveTokenSource(server.url);
  const [a, b] = await Promise.all([tokens.get(), tokens.get()]);
  assert.equal(a, b);
  assert.equal(server.requests.length, 1);
  tokens.discard();
  await tokens.get();
  assert.equal(server.requests.length, 2);
});

// Answers of 200 that are not the documented token: each is a TokenFormatError naming
// the field, never a token handed on, and never one the source keeps.

const GOOD = () => ({
  name: 'auth_tokens/secret-value',
  expireTime: new Date(Date.now() + 600_000).toISOString(),
  newSessionExpireTime: new Date(Date.now() + 60_000).toISOString(),
  uses: 1,
  model: 'models/m',
  apiVersion: 'v1alpha',
  websocketUrl: 'ws://x',
});

async function rawServer(bodies) {
  let served = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const body = bodies[Math.min(served, bodies.length - 1)];
      served += 1;
      response.writeHead(200, { 'Content-Type': typeof body === 'string' ? 'text/html' : 'application/json' });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    served: () => served,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const rejectsAsFormat = (promise, field) =>
  assert.rejects(promise, (error) => {
    assert.ok(error instanceof TokenFormatError, error);
    assert.ok(error instanceof TokenvendClientError);
    assert.equal(error instanceof TokenError, false); // no error body: nothing of TokenError's holds
    assert.equal(error.code, 200);
    assert.equal(error.field, field);
    assert.doesNotMatch(error.message, /secret-value/);
    return true;
  });

test('a 200 that is not JSON is a TokenFormatError, not a token', async (t) => {
  const server = await rawServer(['<html>a login page</html>']);
  t.after(server.close);
  await rejectsAsFormat(fetchLiveToken(server.url), null);
});

for (const [field, change] of [
  ['name', { name: undefined }],
  ['name', { name: 42 }],
  ['name', { name: 'secret-value' }],
  ['expireTime', { expireTime: 'in ten minutes' }],
  ['expireTime', { expireTime: '2026-11-26 12:00' }],
  ['newSessionExpireTime', { newSessionExpireTime: '2026-02-31T25:00:00Z' }],
  ['uses', { uses: '1' }],
]) {
  test(`a 200 token whose ${field} is ${JSON.stringify(Object.values(change)[0]) ?? 'missing'} is a TokenFormatError naming it`, async (t) => {
    const server = await rawServer([{ ...GOOD(), ...change }]);
    t.after(server.close);
    await rejectsAsFormat(fetchLiveToken(server.url), field);
  });
}

test('a JSON body that is not an object is a TokenFormatError', async (t) => {
  const server = await rawServer([['auth_tokens/secret-value']]);
  t.after(server.close);
  await rejectsAsFormat(fetchLiveToken(server.url), 'the body');
});

test('a good token comes back frozen with exactly the documented fields', async (t) => {
  const server = await rawServer([{ ...GOOD(), extra: 'dropped' }]);
  t.after(server.close);
  const received = await fetchLiveToken(server.url);
  assert.deepEqual(Object.keys(received).sort(), Object.keys(GOOD()).sort());
  assert.ok(Object.isFrozen(received));
});

test('the source keeps no token from a malformed answer and asks again next time', async (t) => {
  const server = await rawServer([{ ...GOOD(), expireTime: 'never' }, GOOD()]);
  t.after(server.close);
  const tokens = new LiveTokenSource(server.url);
  await rejectsAsFormat(tokens.get({ resuming: true }), 'expireTime');
  assert.equal(tokens.current, null);
  assert.equal(tokens.reusable({ resuming: true }), false);
  assert.equal((await tokens.get({ resuming: true })).name, 'auth_tokens/secret-value');
  assert.equal(server.served(), 2);
  assert.equal(tokens.fetched, 1);
});
