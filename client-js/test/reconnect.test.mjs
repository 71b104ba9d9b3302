// When a VoiceSession reopens its connection and when it gives up (`node --test test/`):
// against a scripted Live API stand-in, a real WebSocket server (`ws`) on 127.0.0.1 that
// the SDK connects to as to Google's, and a token server beside it. The clock and the
// sleep are injected, so the backoff is observed without waiting for it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { test } from 'node:test';

import { WebSocketServer } from 'ws';

import { LiveConnectionError, LiveTokenSource, TokenvendClientError, VoiceSession } from '../src/index.js';

// What the stand-in does on a connection's first typed turn (a connection closed only
// after the client talked on it is one the session had surely taken as open).
const closeWith = (code, reason) => (socket) => socket.close(code, reason);
const breakOff = () => (socket) => socket.terminate(); // no close frame: the client sees 1006
const goAway = () => (socket, send) => send({ goAway: { timeLeft: '10s' } });
const stay = () => () => {};

/**
 * The Live stand-in. `script[n]` is the (n+1)th connection's: {setup: refuse it with
 * [code, reason] (only a resumption's, with `resumptionsOnly`), or answer setupComplete
 * and a resumption handle `handle-<n+1>`; turn: what to do on the first clientContent}.
 * The last entry stands for all later ones.
 */
async function liveServer(script) {
  const connections = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket, request) => {
    const step = script[Math.min(connections.length, script.length - 1)];
    const connection = { path: request.url, setup: null, turns: 0 };
    connections.push(connection);
    const number = connections.length;
    const send = (message) => socket.send(JSON.stringify(message));
    socket.on('message', (data) => {
      const frame = JSON.parse(data);
      if (frame.setup) {
        connection.setup = frame.setup;
        const resuming = Boolean(frame.setup.sessionResumption?.handle);
        if (step.setup && (resuming || !step.resumptionsOnly)) return socket.close(...step.setup);
        send({ setupComplete: {} });
        send({ sessionResumptionUpdate: { newHandle: `handle-${number}`, resumable: true } });
      } else if (frame.clientContent && (connection.turns += 1) === 1) {
        (step.turn ?? stay())(socket, send);
      }
    });
  });
  await once(server, 'listening');
  return {
    liveBaseUrl: `http://127.0.0.1:${server.address().port}`,
    connections,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function tokenServer({ uses = 1 } = {}) {
  let served = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      served += 1;
      const now = Date.now();
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify({
          name: `auth_tokens/t${served}`,
          expireTime: new Date(now + 600_000).toISOString(),
          newSessionExpireTime: new Date(now + 60_000).toISOString(),
          uses,
          model: 'models/m',
          apiVersion: 'v1alpha',
          websocketUrl: 'ws://unused',
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * A session on both stand-ins that talks once on every connection it opens, with the
 * sleep recorded (and answered at once), and promises for its first error and resumptions.
 */
async function talkingSession(t, script, options = {}) {
  const live = await liveServer(script);
  const function_ = await tokenServer(options);
  const sleeps = [];
  const tokens = new LiveTokenSource(function_.url);
  let failed;
  const error = new Promise((resolve) => (failed = resolve));
  const resumptions = [];
  let resumed;
  const nextResumption = () => new Promise((resolve) => (resumed = resolve));
  const session = new VoiceSession(
    {
      tokens,
      liveBaseUrl: live.liveBaseUrl,
      sleep: async (ms) => sleeps.push(ms),
      ...options,
    },
    {
      error: failed,
      resumed: (withHandle) => {
        resumptions.push(withHandle);
        resumed?.(withHandle);
        if (options.talk !== false) session.sendText('again');
      },
    },
  );
  // The session first: a server waits for its open connections before it closes.
  t.after(() => (session.stop(), Promise.all([live.close(), function_.close()])));
  return { live, tokens, sleeps, session, error, resumptions, nextResumption };
}

for (const [code, reason] of [
  [1008, 'the locked config refused it'],
  [1007, 'invalid payload'],
]) {
  test(`a session the service closes with ${code} is not reopened and ends in a LiveConnectionError`, async (t) => {
    const { live, tokens, sleeps, session, error } = await talkingSession(t, [{ turn: closeWith(code, reason) }]);
    await session.start();
    session.sendText('hello');
    const failure = await error;
    assert.ok(failure instanceof LiveConnectionError);
    assert.ok(failure instanceof TokenvendClientError);
    assert.equal(failure.closeCode, code);
    assert.equal(failure.closeReason, reason);
    assert.equal(failure.refused, true);
    assert.equal(failure.reconnects, 0);
    assert.equal(live.connections.length, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(tokens.fetched, 1);
    assert.equal(session.open, false);
  });
}

test('a setup refused with 1008 fails start() without a second token or connection', async (t) => {
  const { live, tokens, session } = await talkingSession(t, [{ setup: [1008, 'invalid access token'] }]);
  await assert.rejects(session.start(), (error) => {
    assert.ok(error instanceof LiveConnectionError);
    assert.equal(error.closeCode, 1008);
    assert.equal(error.closeReason, 'invalid access token');
    return true;
  });
  assert.equal(live.connections.length, 1);
  assert.equal(tokens.fetched, 1);
  assert.equal(tokens.current, null); // a later start() asks for a new token, not the refused one
});

test('a kept token refused at setup is replaced once by a new one, and start() succeeds', async (t) => {
  const script = [{}, { setup: [1008, 'token revoked'] }, {}];
  const { live, tokens, session } = await talkingSession(t, script, { uses: 2 });
  await session.start();
  session.stop();
  session.handle = null; // a new conversation, not a resumption
  await session.start(); // the token has a use left: it is offered first
  assert.equal(live.connections.length, 3);
  assert.equal(tokens.fetched, 2);
  assert.equal(session.open, true);
});

test('start() after stop() whose resumption is refused starts a new conversation instead', async (t) => {
  const script = [{}, { setup: [1008, 'unknown session resumption handle'], resumptionsOnly: true }];
  const { live, tokens, session } = await talkingSession(t, script);
  await session.start();
  session.stop();
  await session.start(); // resumes the conversation it stopped, if the service still knows it
  assert.equal(live.connections.length, 3);
  assert.equal(live.connections[1].setup.sessionResumption.handle, 'handle-1');
  assert.equal(live.connections[2].setup.sessionResumption?.handle, undefined);
  assert.equal(tokens.fetched, 2);
  assert.equal(session.open, true);
});

test('a resumption the service refuses is followed once by a new conversation on a new token', async (t) => {
  const script = [
    { turn: closeWith(1011, 'internal') },
    { setup: [1008, 'unknown session resumption handle'], resumptionsOnly: true, turn: stay() },
  ];
  const { live, tokens, sleeps, session, resumptions, nextResumption } = await talkingSession(t, script);
  const resumed = nextResumption();
  await session.start();
  session.sendText('hello');
  assert.equal(await resumed, false); // a new conversation, not a resumption
  assert.equal(live.connections.length, 3);
  assert.equal(live.connections[1].setup.sessionResumption.handle, 'handle-1');
  assert.equal(live.connections[2].setup.sessionResumption?.handle, undefined);
  assert.deepEqual(resumptions, [false]);
  assert.deepEqual(sleeps, [500]);
  assert.equal(tokens.fetched, 2); // the refused token is never offered again
});

test('a refused resumption whose new conversation is refused too ends in a LiveConnectionError', async (t) => {
  const script = [{ turn: closeWith(1011, 'internal') }, { setup: [1008, 'invalid access token'] }];
  const { live, tokens, sleeps, session, error } = await talkingSession(t, script);
  await session.start();
  session.sendText('hello');
  const failure = await error;
  assert.ok(failure instanceof LiveConnectionError);
  assert.equal(failure.closeCode, 1008);
  assert.equal(failure.closeReason, 'invalid access token');
  assert.equal(live.connections.length, 3); // the resumption, then one new conversation: no more
  assert.deepEqual(sleeps, [500]);
  assert.equal(tokens.fetched, 2);
  assert.equal(session.handle, null);
  assert.equal(tokens.current, null);
});

for (const [what, turn] of [
  ['a 1011 close', closeWith(1011, 'internal')],
  ['a connection that breaks off without a close frame (1006)', breakOff()],
]) {
  test(`${what} is reopened after 0.5 s, resuming with the latest handle on the same token`, async (t) => {
    const { live, tokens, sleeps, session, nextResumption } = await talkingSession(t, [{ turn }, { turn: stay() }]);
    const resumed = nextResumption();
    await session.start();
    session.sendText('hello');
    assert.equal(await resumed, true);
    assert.deepEqual(sleeps, [500]);
    assert.equal(live.connections.length, 2);
    assert.equal(live.connections[1].setup.sessionResumption.handle, 'handle-1');
    assert.equal(session.resumptions, 1);
    assert.equal(session.connections, 2);
    assert.equal(tokens.fetched, 1); // resuming is not a use of the uses: 1 token
  });
}

test('after 3 reconnects within 60 s the session stops with a LiveConnectionError', async (t) => {
  const { live, sleeps, session, error, resumptions } = await talkingSession(t, [{ turn: closeWith(1011, 'internal') }]);
  await session.start();
  session.sendText('hello');
  const failure = await error;
  assert.ok(failure instanceof LiveConnectionError);
  assert.equal(failure.closeCode, 1011);
  assert.equal(failure.refused, false);
  assert.equal(failure.reconnects, 3);
  assert.match(failure.message, /gave up after 3 reconnects within 60 s/);
  assert.deepEqual(sleeps, [500, 1000, 2000]);
  assert.deepEqual(resumptions, [true, true, true]);
  assert.equal(live.connections.length, 4);
  assert.equal(session.open, false);
});

test('the backoff doubles from 0.5 s and stays at 8 s, up to maxReconnects', async (t) => {
  const script = [{ turn: closeWith(1011, 'internal') }];
  const { live, sleeps, session, error } = await talkingSession(t, script, { maxReconnects: 7 });
  await session.start();
  session.sendText('hello');
  assert.equal((await error).reconnects, 7);
  assert.deepEqual(sleeps, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(live.connections.length, 8);
});

test('reconnects older than the window no longer count: the delay starts again at 0.5 s', async (t) => {
  let now = Date.parse('2026-11-26T12:00:00Z');
  const script = [{ turn: closeWith(1011, 'internal') }];
  const { sleeps, session, nextResumption } = await talkingSession(t, script, { now: () => now, talk: false });
  await session.start();
  for (let close = 0; close < 3; close += 1) {
    const resumed = nextResumption();
    session.sendText('hello');
    await resumed;
  }
  now += 60_000;
  const resumed = nextResumption();
  session.sendText('hello');
  await resumed;
  assert.deepEqual(sleeps, [500, 1000, 2000, 500]);
});

test('a goAway is followed at once and does not count against the limit', async (t) => {
  const script = [{ turn: goAway() }, { turn: closeWith(1011, 'internal') }, { turn: stay() }];
  const { live, sleeps, session, nextResumption } = await talkingSession(t, script, { talk: false });
  let resumed = nextResumption();
  await session.start();
  session.sendText('hello');
  await resumed;
  assert.deepEqual(sleeps, []);
  resumed = nextResumption();
  session.sendText('hello again');
  await resumed;
  assert.deepEqual(sleeps, [500]); // the first reconnect of the window, not the second
  assert.equal(live.connections.length, 3);
});

test('stop() during the backoff ends the session: no connection after it, and no error', async (t) => {
  const live = await liveServer([{ turn: closeWith(1011, 'internal') }]);
  const function_ = await tokenServer();
  t.after(() => Promise.all([live.close(), function_.close()]));
  let asleep;
  const sleeping = new Promise((resolve) => (asleep = resolve));
  let wake;
  const after = [];
  const session = new VoiceSession(
    {
      functionUrl: function_.url,
      liveBaseUrl: live.liveBaseUrl,
      sleep: (ms) => new Promise((resolve) => ((wake = resolve), asleep(ms))),
    },
    { state: (state) => after.push(state), note: (text) => after.push(text), error: (error) => after.push(error) },
  );
  await session.start();
  session.sendText('hello');
  assert.equal(await sleeping, 500);
  session.stop();
  after.length = 0;
  wake();
  // A reconnect that went on would say 'connecting' before its first await on the network.
  await new Promise(setImmediate);
  assert.deepEqual(after, []);
  assert.equal(live.connections.length, 1);
  assert.equal(session.open, false);
});
