// A voice conversation in a browser: the microphone, the player and the Live session
// joined, with a transcript and a level meter. What a page or a framework hook uses;
// everything it knows comes out as events, and `snapshot` holds the latest of each.
import { Microphone } from './microphone.js';
import { Player } from './player.js';
import { VoiceSession } from './voice-session.js';

/**
 * Events (all CustomEvents, what they carry in `detail`): `change` (the snapshot, after
 * every change), `state` ({state, text}), `transcript` ({entries}), `level`
 * ({microphone}), `token` ({token}), `note` ({text}), `error` ({error}).
 *
 * States: idle, minting, connecting, ready (open, microphone off), listening, speaking,
 * reconnecting, stopped, error.
 */
export class LiveVoice extends EventTarget {
  state = 'idle';
  status = '';
  transcript = []; // [{who: 'you' | 'model', text}], in order
  microphoneLevel = 0;
  error = null;
  token = null;
  stats = { chunksSent: 0, playedMs: 0, connections: 0, resumptions: 0, turns: 0, tokens: 0 };
  #config;
  #context = null;
  #player = null;
  #session = null;
  #microphone = null;
  #open = { you: null, model: null }; // the transcript entries still being written

  /** `config`: that of VoiceSession, plus `workletUrl` (see Microphone). */
  constructor(config) {
    super();
    this.#config = config;
  }

  get listening() {
    return this.#microphone !== null;
  }

  get snapshot() {
    const { state, status, microphoneLevel, error, token } = this;
    return { state, status, transcript: this.transcript, microphoneLevel, error, token, stats: { ...this.stats } };
  }

  /** Connects (if not yet) and turns the microphone on. Call it from a click: audio needs a gesture. */
  async start() {
    try {
      await this.#ensureSession();
      if (this.#microphone) return;
      const microphone = new Microphone({ workletUrl: this.#config.workletUrl });
      await microphone.start(this.#context, (chunk, level) => {
        if (this.#session?.sendAudio(chunk)) this.stats.chunksSent += 1;
        this.microphoneLevel = level;
        this.#emit('level', { microphone: level });
      });
      this.#microphone = microphone;
      this.#note('microphone on: 16 kHz PCM to the Live session');
      this.#settle();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Sends a typed turn (connecting first if needed); false if the session is reconnecting. */
  async sendText(text) {
    try {
      await this.#ensureSession();
      if (!this.#session.sendText(text)) {
        this.#note('not sent: the session is reconnecting; send again in a moment');
        return false;
      }
      this.#line('you', text);
      this.#open.you = null;
      this.#note(`sent: “${text}”`);
      this.#changed('transcript');
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  /** Ends the conversation; `start()` or `sendText()` begins a new one. */
  stop(text = 'Stopped.') {
    this.#microphone?.stop();
    this.#microphone = null;
    this.microphoneLevel = 0;
    this.#player?.interrupt();
    this.#session?.stop();
    this.#session = null;
    this.#setState('stopped', text);
  }

  async #ensureSession() {
    // Audio may only start after a user gesture: this runs inside the click or submit.
    this.#context ??= new AudioContext();
    await this.#context.resume();
    if (!this.#player) {
      this.#player = new Player(this.#context);
      this.#player.addEventListener('start', () => this.#setState('speaking', 'Gemini is speaking…'));
      this.#player.addEventListener('idle', () => {
        this.stats.playedMs = Math.round(this.#player.playedMs);
        this.#settle();
      });
    }
    if (this.#session) return; // open, or reconnecting by itself
    this.error = null;
    this.#open = { you: null, model: null };
    const session = new VoiceSession(this.#config, {
      state: (state, text) => this.#setState(state, text),
      token: (token) => {
        this.token = token;
        this.stats.tokens += 1;
        this.#note(`token received (${token.uses === 0 ? 'unlimited' : token.uses} use${token.uses === 1 ? '' : 's'})`);
        this.#emit('token', { token });
      },
      audio: (blob) => this.#player.play(blob),
      interrupted: () => {
        this.#player.interrupt();
        this.#note('interrupted: playback stopped');
      },
      heard: (text) => this.#write('you', text),
      said: (text) => this.#write('model', text),
      turn: () => {
        this.stats.turns += 1;
        this.#open = { you: null, model: null };
        if (!this.#player.speaking) this.#settle();
        this.#changed();
      },
      resumed: () => {
        this.stats.resumptions = session.resumptions;
        this.stats.connections = session.connections;
        this.#settle();
      },
      note: (text) => this.#note(text),
      error: (error) => this.#fail(error),
    });
    this.#session = session;
    try {
      await session.start();
    } catch (error) {
      this.#session = null;
      throw error;
    }
    this.stats.connections = session.connections;
  }

  /** The resting state: listening with the microphone on, or ready for text without it. */
  #settle() {
    if (!this.#session?.open || this.state === 'reconnecting' || this.#player?.speaking) return;
    if (this.#microphone) this.#setState('listening', 'Listening…');
    else this.#setState('ready', 'Connected. Type, or press Start to talk.');
  }

  #fail(error) {
    this.#note(`error: ${error.message}`);
    this.stop(error.message);
    this.error = error;
    this.#setState('error', error.message);
    this.#emit('error', { error });
  }

  #write(who, text) {
    this.#open[who] ??= this.#line(who, '');
    this.#open[who].text += text;
    if (who === 'model') this.#open.you = null;
    this.#changed('transcript');
  }

  #line(who, text) {
    const entry = { who, text };
    this.transcript = [...this.transcript, entry];
    return entry;
  }

  #setState(state, text) {
    this.state = state;
    this.status = text;
    this.#changed('state', { state, text });
  }

  #note(text) {
    this.#emit('note', { text });
  }

  #changed(event, detail) {
    if (event === 'transcript') {
      this.transcript = [...this.transcript]; // a new array, so framework state sees a change
      this.#emit('transcript', { entries: this.transcript });
    } else if (event) this.#emit(event, detail);
    this.#emit('change', this.snapshot);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
