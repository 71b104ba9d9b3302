// One Live conversation that outlives its connections. The Live API replaces a
// connection after about ten minutes (a `goAway` message first) and sends resumption
// handles along the way; this class keeps the latest handle and, on `goAway` or an
// unexpected close, opens a new connection that resumes the conversation: with the same
// token while it is valid (resuming is not a token use), else with a fresh one from the
// function. It knows nothing of audio devices: LiveVoice (live-voice.js) joins it to the
// microphone and the player; in Node.js it can be used alone.
import { GoogleGenAI, Modality } from '@google/genai';

import { MIC_MIME_TYPE } from './pcm.js';
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
  #reconnecting = false;

  /**
   * `config`: {tokens (a LiveTokenSource) or functionUrl (+ the hooks of fetchLiveToken),
   * model (for unconstrained tokens), liveBaseUrl (a stand-in's, in tests)}; `on`:
   * callbacks named after what happened (state, token, audio, interrupted, heard, said,
   * turn, resumed, note, error, message: every server message); those left out do nothing.
   */
  constructor(config, on = {}) {
    this.config = config;
    this.tokens = config.tokens ?? new LiveTokenSource(config.functionUrl, config);
    const quiet = () => {};
    this.on = new Proxy(on, { get: (target, name) => target[name] ?? quiet });
  }

  get open() {
    return this.#session !== null;
  }

  async start() {
    this.#stopped = false;
    await this.#connect();
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
    this.#current = -1;
    this.#session?.close();
    this.#session = null;
  }

  async #connect() {
    const resuming = this.handle !== null;
    const kept = this.tokens.reusable({ resuming });
    if (kept) this.on.note(resuming ? 'same token (resuming is not a use)' : 'same token (a use is left)');
    await this.#useToken(resuming);
    try {
      await this.#open(resuming);
    } catch (error) {
      if (!kept || this.#stopped) throw error;
      // The kept token was refused after all (revoked, clocks apart): once more with a new one.
      this.on.note(`the kept token was refused (${error.message}); asking for a new one`);
      this.tokens.discard();
      await this.#useToken(resuming);
      await this.#open(resuming);
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
    const id = ++this.#ids;
    this.#opening = id;
    this.on.state('connecting', resuming ? 'Resuming the conversation…' : 'Opening the Live session…');
    // Exactly what an app does: the token's name stands in for the API key.
    const ai = new GoogleGenAI({
      apiKey: token.name,
      httpOptions: {
        apiVersion: token.apiVersion ?? 'v1alpha',
        ...(this.config.liveBaseUrl ? { baseUrl: this.config.liveBaseUrl } : {}),
      },
    });
    const session = await ai.live.connect({
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
          if (id !== this.#current) return;
          this.#session = null;
          this.#replace(`the connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
        },
      },
    });
    if (this.#stopped) return session.close();
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

  /** Opens the next connection; the old one keeps working (if it still does) until then. */
  async #replace(reason) {
    if (this.#stopped || this.#reconnecting) return;
    this.#reconnecting = true;
    this.on.note(reason);
    this.on.state('reconnecting', `Reconnecting: ${reason}.`);
    let resuming = this.handle !== null;
    try {
      if (!resuming) this.on.note('no resumption handle yet: starting a new conversation');
      try {
        await this.#connect();
      } catch (error) {
        if (!resuming || this.#stopped) throw error;
        // The service no longer knows the handle (too old, or refused with this token).
        this.on.note(`could not resume (${error.message}); starting a new conversation`);
        this.handle = null;
        resuming = false;
        await this.#connect();
      }
      if (resuming) this.resumptions += 1;
      this.on.resumed(resuming);
    } catch (error) {
      this.#session = null;
      this.on.error(error);
    } finally {
      this.#reconnecting = false;
    }
  }
}
