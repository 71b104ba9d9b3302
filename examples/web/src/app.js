// The voice page: Start/Stop talks to Gemini Live through a token from tokenvend; the
// text box is a fallback. Everything that touches the network is in voice-session.js,
// the audio in microphone.js and player.js. The API key never reaches the browser.
import config from '../config.js';
import { Microphone } from './microphone.js';
import { Player } from './player.js';
import { VoiceSession } from './voice-session.js';

const $ = (id) => document.getElementById(id);
const main = document.querySelector('main');
const talk = $('talk');
let context = null; // one AudioContext for microphone and playback, made on the first click
let player = null;
let voice = null;
let microphone = null;
let chunksSent = 0;
let turns = 0;
let resumed = 0;
let entries = { you: null, model: null }; // the transcript lines still being written

$('function-url').textContent = config.functionUrl;
talk.addEventListener('click', () => void (microphone ? stop('Stopped. Press Start to talk again.') : startTalking()));
$('ask').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('prompt').value.trim();
  if (text) void sendText(text);
});

async function startTalking() {
  talk.disabled = true;
  try {
    await ensureSession();
    microphone = new Microphone();
    await microphone.start(context, (chunk) => {
      if (voice?.sendAudio(chunk)) chunksSent += 1;
      show('chunks-sent', chunksSent);
    });
    talk.textContent = 'Stop';
    note('microphone on: 16 kHz PCM to the Live session');
    settle();
  } catch (error) {
    fail(error);
  } finally {
    talk.disabled = false;
  }
}

async function sendText(text) {
  try {
    await ensureSession();
    if (!voice.open) return note('not sent: the session is reconnecting; send again in a moment');
    voice.sendText(text);
    line('you', text);
    entries.you = null;
    note(`sent: “${text}”`);
  } catch (error) {
    fail(error);
  }
}

async function ensureSession() {
  // Audio may only start after a user gesture: this runs inside the click or submit.
  context ??= new AudioContext();
  await context.resume();
  if (!player) {
    player = new Player(context);
    player.addEventListener('start', () => setState('speaking', 'Gemini is speaking…'));
    player.addEventListener('idle', () => {
      show('played-ms', Math.round(player.playedMs));
      settle();
    });
  }
  if (voice) return; // open, or reconnecting by itself
  voice = new VoiceSession(config, {
    state: setState,
    token: showToken,
    audio: (blob) => player.play(blob),
    interrupted: () => {
      player.interrupt();
      note('interrupted: playback stopped');
    },
    heard: (text) => write('you', text),
    said: (text) => write('model', text),
    turn: () => {
      turns += 1;
      main.dataset.turns = String(turns);
      entries = { you: null, model: null };
      if (!player.speaking) settle();
    },
    resumed: (withHandle) => {
      if (withHandle) main.dataset.resumed = String(++resumed);
      show('connections', voice.connections);
      settle();
    },
    note,
    error: fail,
  });
  await voice.start();
  show('connections', voice.connections);
}

/** The resting state: listening with the microphone on, or ready for text without it. */
function settle() {
  if (!voice?.open || main.dataset.state === 'reconnecting' || player?.speaking) return;
  const after = resumed ? ` (conversation resumed ${resumed === 1 ? 'once' : `${resumed} times`})` : '';
  if (microphone) setState('listening', `Listening: talk to Gemini${after}.`);
  else setState('ready', `Connected${after}. Type below, or press Start to talk.`);
}

function stop(text) {
  microphone?.stop();
  microphone = null;
  player?.interrupt();
  voice?.stop();
  voice = null;
  talk.textContent = 'Start';
  setState('stopped', text);
}

function fail(error) {
  note(`error: ${error.message}`);
  stop(error.message);
  setState('error', error.message);
}

function write(who, text) {
  entries[who] ??= line(who, '');
  entries[who].textContent += text;
  if (who === 'model') entries.you = null;
}

function line(who, text) {
  const item = document.createElement('li');
  item.className = who;
  item.textContent = text;
  $('transcript').append(item);
  return item;
}

function showToken(token) {
  const at = (time) => new Date(time).toLocaleTimeString([], { hour12: false });
  const minutes = Math.round((new Date(token.expireTime) - Date.now()) / 60000);
  $('token-expires').textContent = `${at(token.expireTime)} (in about ${minutes} min)`;
  $('token-new-sessions').textContent = `until ${at(token.newSessionExpireTime)}`;
  $('token-uses').textContent = token.uses === 0 ? 'unlimited' : String(token.uses);
  $('token-model').textContent = token.model ?? `any (unconstrained); this page asks for ${config.model}`;
  $('token').hidden = false;
  main.dataset.tokens = String(Number(main.dataset.tokens ?? 0) + 1);
  note(`token received (${token.uses === 0 ? 'unlimited' : token.uses} use${token.uses === 1 ? '' : 's'})`);
}

function show(id, value) {
  $(id).textContent = String(value);
}

function setState(state, text) {
  main.dataset.state = state;
  $('status').textContent = text;
}

function note(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString([], { hour12: false })}  ${text}`;
  $('events').append(item);
}
