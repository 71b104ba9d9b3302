// One Live conversation that outlives its connections. The Live API replaces a
// connection after about ten minutes (a `goAway` message first) and sends resumption
// handles along the way; this class keeps the latest handle and, on `goAway` or an
// unexpected close, opens a new connection that resumes the conversation: with the same
// token while it is valid (resuming is not a token use), else with a fresh one from the
// function. Unexpected closes are reopened within limits, and a refusal (1007, 1008)
// never (reconnects.js). It knows nothing of audio devices: LiveVoice (live-voice.js)
// joins it to the microphone and the player; in Node.js it can be used alone.
import { GoogleGenAI, Modality } from '@google/genai';

import { LiveConnectionError } from './errors.js';
import { MIC_MIME_TYPE } from './pcm.js';
import { ReconnectBudget, describeClose } from './reconnects.js';
import { LiveTokenSource } from './token.js';

export class VoiceSession {
  handle = null; // the latest session resumption handle
  connections = 0;
  resumptions = 0;
  #token = null;
  #session = null;
  #current = 0; // id of the connection whose messages and close we act on
  #opening = 0; // id of the connection being set up: its first messages count too
  #ids = 0;
  #stopped = false;
  #run = 0; // counts stop()s: a reconnect or an open of an earlier run must not act
  #reconnecting = false;
  #budget;
  #sleep;
  #wake = null; // ends the default sleep early, on stop()

  /**
   * `config`: {tokens (a LiveTokenSource) or functionUrl (+ the hooks of fetchLiveToken),
   * model (for unconstrained tokens), liveBaseUrl (a stand-in's, in tests), the reconnect
   * limits of reconnects.js (maxReconnects, reconnectWindowMs, reconnectDelayMs,
   * maxReconnectDelayMs), now() (milliseconds) and sleep(ms) (a promise), for tests};
   * `on`: callbacks named after what happened (state, token, audio, interrupted, heard,
   * said, turn, resumed, note, error, message: every server message); those left out do
   * nothing.
   */
  constructor(config, on = {}) {
    this.config = config;
    this.tokens = config.tokens ?? new LiveTokenSource(config.functionUrl, config);
    this.#budget = new ReconnectBudget(config);
    this.#sleep = config.sleep ?? ((ms) => this.#wait(ms));
    const quiet = () => {};
    this.on = new Proxy(on, { get: (target, name) => target[name] ?? quiet });
  }

  get open() {
    return this.#session !== null;
  }

  async start() {
    this.#stopped = false;
    await this.#connectOrStartAfresh();
  }

  sendAudio(data) {
    if (!this.#session) return false;
    this.#session.sendRealtimeInput({ audio: { data, mimeType: MIC_MIME_TYPE } });
    return true;
  }

  sendText(text) {
    if (!this.#session) return false;
    this.#session.sendClientContent({ turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true });
    return true;
  }

  stop() {
    this.#stopped = true;
    this.#run += 1;
    this.#reconnecting = false;
    this.#wake?.();
    this.#drop();
  }

  /** Forgets the connection; its messages and its close are ignored from now on. */
  #drop() {
    this.#current = -1;
    this.#session?.close();
    this.#session = null;
  }

  async #connect() {
    const resuming = this.handle !== null;
    const kept = this.tokens.reusable({ resuming });
    if (kept) this.on.note(resuming ? 'same token (resuming is not a use)' : 'same token (a use is left)');
    try {
      await this.#openWithToken(resuming);
    } catch (error) {
      // A kept token refused after all (revoked, clocks apart): once, with a new one. A
      // resumption refused is the handle's or the token's: #connectOrStartAfresh decides.
      if (!refusal(error) || !kept || resuming || this.#stopped) throw error;
      this.on.note(`the kept token was refused (${describeClose(closeOf(error))}); asking for a new one`);
      await this.#openWithToken(false);
    }
  }

  /** Opens a connection on the token source's token; a token refused at setup is never offered again. */
  async #openWithToken(resuming) {
    await this.#useToken(resuming);
    try {
      await this.#open(resuming);
    } catch (error) {
      if (refusal(error)) this.tokens.discard();
      throw error;
    }
  }

  async #useToken(resuming) {
    if (!this.tokens.reusable({ resuming })) this.on.state('minting', 'Asking the function for a token…');
    const before = this.tokens.fetched;
    this.#token = await this.tokens.get({ resuming });
    if (this.tokens.fetched !== before) this.on.token(this.#token);
  }

  async #open(resuming) {
    const token = this.#token;
    const run = this.#run;
    const id = ++this.#ids;
    this.#opening = id;
    let setupClose = null; // how the connection closed, if it did before connect() returned
    this.on.state('connecting', resuming ? 'Resuming the conversation…' : 'Opening the Live session…');
    // Exactly what an app does: the token's name stands in for the API key.
    const ai = new GoogleGenAI({
      apiKey: token.name,
      httpOptions: {
        apiVersion: token.apiVersion ?? 'v1alpha',
        ...(this.config.liveBaseUrl ? { baseUrl: this.config.liveBaseUrl } : {}),
      },
    });
    const connecting = ai.live.connect({
      // A constrained token fixes the model and whatever its policy locks; these are what
      // the page needs and what an unconstrained profile would otherwise leave out.
      model: token.model ?? this.config.model,
      config: {
        responseModalities: [Modality.AUDIO],
        inputAudioTranscription: {},
        outputAudioTranscription: {},
        sessionResumption: resuming ? { handle: this.handle } : {},
      },
      callbacks: {
        // The SDK hands over messages that came with setupComplete before connect() returns.
        onmessage: (message) => (id === this.#current || id === this.#opening) && this.#receive(message),
        onclose: (event) => {
          if (id === this.#opening && id !== this.#current) setupClose = event;
          if (id !== this.#current) return;
          this.#session = null;
          this.#replace(`the connection closed (${describeClose(event)})`, event);
        },
      },
    });
    let session;
    try {
      session = await connecting;
    } catch (cause) {
      // Without a close event the socket broke (no server, a refused upgrade): 1006, as browsers say.
      const close = { code: setupClose?.code ?? 1006, reason: setupClose?.reason ?? '' };
      throw new LiveConnectionError(`The Live connection closed during setup (${describeClose(close)}).`, {
        closeCode: close.code,
        closeReason: close.reason,
        cause,
      });
    }
    if (this.#stopped || run !== this.#run) return session.close();
    const previous = this.#session;
    this.#current = id; // from now on the old connection's messages and close are ignored
    this.#session = session;
    this.connections += 1;
    if (!resuming) this.tokens.started();
    previous?.close();
    this.on.note(resuming ? 'Live session resumed with its handle' : 'Live session open');
  }

  #receive(message) {
    this.on.message(message);
    const update = message.sessionResumptionUpdate;
    if (update?.resumable && update.newHandle) this.handle = update.newHandle;
    const content = message.serverContent;
    if (content?.interrupted) this.on.interrupted();
    for (const part of content?.modelTurn?.parts ?? []) {
      if (part.inlineData?.mimeType?.startsWith('audio/pcm')) this.on.audio(part.inlineData);
    }
    if (content?.inputTranscription?.text) this.on.heard(content.inputTranscription.text);
    if (content?.outputTranscription?.text) this.on.said(content.outputTranscription.text);
    if (content?.turnComplete) this.on.turn();
    if (message.goAway) {
      this.#replace(`the service will close this connection (goAway, ${message.goAway.timeLeft ?? 'soon'})`);
    }
  }

  /**
   * Opens the next connection; the old one keeps working (if it still does) until then.
   * `close`: the close event when the connection ended unexpectedly, null for a `goAway`
   * (planned by the service: no wait, not counted against the reconnect limit).
   */
  async #replace(reason, close = null) {
    if (this.#stopped || this.#reconnecting) return;
    this.#reconnecting = true;
    const run = this.#run;
    const over = () => this.#stopped || run !== this.#run;
    this.on.note(reason);
    try {
      for (;;) {
        if (close) {
          const delay = this.#budget.after(close);
          this.on.state('reconnecting', `Reconnecting in ${delay / 1000} s: ${reason}.`);
          await this.#sleep(delay);
          if (over()) return;
        } else this.on.state('reconnecting', `Reconnecting: ${reason}.`);
        try {
          await this.#resume();
          return;
        } catch (error) {
          if (over() || !(error instanceof LiveConnectionError)) throw error;
          close = { code: error.closeCode, reason: error.closeReason };
          reason = `the new connection closed during setup (${describeClose(close)})`;
          this.on.note(reason);
        }
      }
    } catch (error) {
      if (over()) return;
      this.#drop();
      this.on.error(error);
    } finally {
      if (run === this.#run) this.#reconnecting = false;
    }
  }

  /** Resumes with the latest handle, or starts a new conversation when there is none yet. */
  async #resume() {
    if (this.handle === null) this.on.note('no resumption handle yet: starting a new conversation');
    const resumed = await this.#connectOrStartAfresh();
    if (resumed) this.resumptions += 1;
    this.on.resumed(resumed);
  }

  /**
   * Connects, resuming when there is a handle; when the service refuses the resumption (a
   * handle too old, a token revoked), starts a new conversation once, on a new token, so
   * a refusal costs at most one more connection and one more token. Whether it resumed.
   */
  async #connectOrStartAfresh() {
    const resuming = this.handle !== null;
    try {
      await this.#connect();
      return resuming;
    } catch (error) {
      if (!resuming || !refusal(error) || this.#stopped) throw error;
      this.on.note(`could not resume (${describeClose(closeOf(error))}); starting a new conversation`);
      this.handle = null;
      await this.#connect();
      return false;
    }
  }

  /** The default sleep: a timer that stop() cuts short. */
  #wait(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => (clearTimeout(timer), resolve());
    });
  }
}

const refusal = (error) => error instanceof LiveConnectionError && error.refused;
const closeOf = (error) => ({ code: error.closeCode, reason: error.closeReason });
