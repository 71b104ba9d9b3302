// The example page: get a token from tokenvend, open a Live session with it, send one
// text turn, and show the reply. The API key never reaches the browser.
import { GoogleGenAI } from '@google/genai';

import config from '../config.js';
import { fetchLiveToken } from './token.js';

const $ = (id) => document.getElementById(id);
const main = document.querySelector('main');
const form = $('ask');

$('function-url').textContent = config.functionUrl;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run($('prompt').value.trim() || 'Hello!');
});

async function run(prompt) {
  form.elements.send.disabled = true;
  $('reply').textContent = '';
  $('token').hidden = true;
  $('events').replaceChildren();
  const audio = new AudioPlayer();
  try {
    setState('minting', 'Asking the function for a token…');
    const token = await fetchLiveToken(config.functionUrl);
    showToken(token);
    note(`token received (${token.uses === 0 ? 'unlimited' : token.uses} use${token.uses === 1 ? '' : 's'})`);

    setState('connecting', 'Opening the Live session…');
    // Exactly what an app does: the token's name stands in for the API key.
    const ai = new GoogleGenAI({
      apiKey: token.name,
      httpOptions: {
        apiVersion: 'v1alpha',
        ...(config.liveBaseUrl ? { baseUrl: config.liveBaseUrl } : {}),
      },
    });
    const turnDone = deferred();
    const session = await ai.live.connect({
      // A constrained token fixes the model (and whatever its policy locks).
      model: token.model ?? config.model,
      config: {},
      callbacks: {
        onmessage: (message) => {
          const content = message.serverContent;
          for (const part of content?.modelTurn?.parts ?? []) {
            if (part.text) $('reply').textContent += part.text;
            if (part.inlineData?.mimeType?.startsWith('audio/pcm')) audio.play(part.inlineData);
          }
          if (content?.outputTranscription?.text) {
            $('reply').textContent += content.outputTranscription.text;
          }
          if (content?.turnComplete) turnDone.resolve();
        },
        onerror: (event) => turnDone.reject(new Error(`Live session error: ${event.message ?? 'WebSocket error'}`)),
        onclose: (event) => turnDone.reject(new Error(`Live session closed (${event.code}): ${event.reason || 'no reason given'}`)),
      },
    });
    note('Live session open');

    setState('waiting', 'Waiting for the model…');
    session.sendClientContent({ turns: prompt, turnComplete: true });
    note(`sent: “${prompt}”`);
    await turnDone.promise;
    session.close();
    if (!$('reply').textContent && audio.seconds) {
      $('reply').textContent = `(an audio reply of ${audio.seconds.toFixed(1)} s, played back)`;
    }
    note(audio.seconds ? `model turn complete (${audio.seconds.toFixed(1)} s of audio)` : 'model turn complete');
    setState('done', 'Done. Send another turn to start a new session with a new token.');
  } catch (error) {
    note(`error: ${error.message}`);
    setState('error', error.message);
  } finally {
    form.elements.send.disabled = false;
  }
}

function showToken(token) {
  const at = (time) => new Date(time).toLocaleTimeString([], { hour12: false });
  const minutes = Math.round((new Date(token.expireTime) - Date.now()) / 60000);
  $('token-expires').textContent = `${at(token.expireTime)} (in about ${minutes} min)`;
  $('token-new-sessions').textContent = `until ${at(token.newSessionExpireTime)}`;
  $('token-uses').textContent = token.uses === 0 ? 'unlimited' : String(token.uses);
  $('token-model').textContent = token.model ?? `any (unconstrained); this page asks for ${config.model}`;
  $('token').hidden = false;
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

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

// Plays the 16-bit PCM chunks of an audio reply back to back.
class AudioPlayer {
  seconds = 0;
  #context = null;
  #next = 0;

  play({ mimeType, data }) {
    const rate = Number(/rate=(\d+)/.exec(mimeType)?.[1] ?? 24000);
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const samples = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
    this.seconds += samples.length / rate;
    try {
      this.#context ??= new AudioContext();
      const buffer = this.#context.createBuffer(1, samples.length, rate);
      buffer.getChannelData(0).set(Float32Array.from(samples, (s) => s / 32768));
      const source = this.#context.createBufferSource();
      source.buffer = buffer;
      source.connect(this.#context.destination);
      this.#next = Math.max(this.#next, this.#context.currentTime);
      source.start(this.#next);
      this.#next += buffer.duration;
    } catch {
      // No audio output (a headless browser): the reply is still counted.
    }
  }
}
