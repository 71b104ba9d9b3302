// The voice page: Start/Stop talks to Gemini Live through a token from tokenvend; the
// text box is a fallback. The conversation itself (tokens, microphone, playback,
// reconnects) is tokenvend-client's LiveVoice; this file only shows it. The end user
// sees the button, a level meter, the transcript and errors with a retry; the token,
// counters and event log are under "Developer details".
import { LiveVoice, TokenError } from 'tokenvend-client';

import config from '../config.js';

const $ = (id) => document.getElementById(id);
const main = document.querySelector('main');
const talk = $('talk');
const voice = new LiveVoice(config);
let lastAction = null; // what "Try again" repeats
let retryTimer = null;

$('function-url').textContent = config.functionUrl;
talk.addEventListener('click', () => (voice.listening ? stop() : run(startTalking)));
$('ask').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('prompt').value.trim();
  if (text) void run(() => sendText(text));
});
$('retry').addEventListener('click', () => lastAction && run(lastAction));

async function run(action) {
  lastAction = action;
  hideProblem();
  await action();
}

async function startTalking() {
  talk.disabled = true;
  await voice.start();
  talk.disabled = false;
  if (voice.listening) talk.textContent = 'Stop';
}

async function sendText(text) {
  if (await voice.sendText(text)) $('prompt').value = '';
}

function stop() {
  voice.stop('Stopped. Press Start to talk again.');
  lastAction = null;
}

voice.addEventListener('state', ({ detail: { state, text } }) => {
  main.dataset.state = state;
  $('status').textContent = state === 'error' ? 'Not connected.' : text;
  if (!voice.listening) talk.textContent = 'Start';
});
voice.addEventListener('change', ({ detail }) => {
  main.dataset.turns = String(detail.stats.turns);
  if (detail.stats.resumptions) main.dataset.resumed = String(detail.stats.resumptions);
  show('chunks-sent', detail.stats.chunksSent);
  show('played-ms', detail.stats.playedMs);
  show('connections', detail.stats.connections);
  show('resumptions', detail.stats.resumptions);
});
voice.addEventListener('level', ({ detail }) => {
  const percent = Math.min(100, Math.round(detail.microphone * 400));
  $('level').style.width = `${percent}%`;
  $('level').parentElement.setAttribute('aria-valuenow', String(percent));
  show('chunks-sent', voice.stats.chunksSent);
});
voice.addEventListener('transcript', ({ detail }) => {
  $('transcript').replaceChildren(
    ...detail.entries.map(({ who, text }) => {
      const item = document.createElement('li');
      item.className = who;
      item.textContent = text;
      return item;
    }),
  );
});
voice.addEventListener('token', ({ detail: { token } }) => showToken(token));
voice.addEventListener('note', ({ detail }) => note(detail.text));
voice.addEventListener('error', ({ detail: { error } }) => showProblem(error));

function showProblem(error) {
  main.dataset.errors = String(Number(main.dataset.errors ?? 0) + 1);
  $('problem-text').textContent = error.message;
  $('problem').hidden = false;
  $('level').style.width = '0';
  const retry = $('retry');
  clearInterval(retryTimer);
  // A quota or an overloaded upstream says when to ask again: the button waits that long.
  let wait = error instanceof TokenError ? (error.retryAfterSeconds ?? 0) : 0;
  const tick = () => {
    retry.disabled = wait > 0;
    retry.textContent = wait > 0 ? `Try again in ${wait} s` : 'Try again';
    if (wait-- <= 0) clearInterval(retryTimer);
  };
  tick();
  if (wait >= 0) retryTimer = setInterval(tick, 1000);
}

function hideProblem() {
  clearInterval(retryTimer);
  $('problem').hidden = true;
}

function showToken(token) {
  const at = (time) => new Date(time).toLocaleTimeString([], { hour12: false });
  const minutes = Math.round((new Date(token.expireTime) - Date.now()) / 60000);
  $('token-expires').textContent = `${at(token.expireTime)} (in about ${minutes} min)`;
  $('token-new-sessions').textContent = `until ${at(token.newSessionExpireTime)}`;
  $('token-uses').textContent = token.uses === 0 ? 'unlimited' : String(token.uses);
  $('token-model').textContent = token.model ?? `any (unconstrained); this page asks for ${config.model}`;
  $('token').hidden = false;
  main.dataset.tokens = String(voice.stats.tokens);
}

function show(id, value) {
  $(id).textContent = String(value);
}

function note(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString([], { hour12: false })}  ${text}`;
  $('events').append(item);
}
