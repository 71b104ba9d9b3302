// The microphone as a stream of 100 ms chunks of 16 kHz 16-bit PCM, base64-encoded and
// ready for `session.sendRealtimeInput({audio: {data, mimeType}})`, with each chunk's
// level for a meter.
import { TokenvendClientError } from './errors.js';
import { definePcmEncoder } from './mic-worklet.js';
import { int16ToBase64, levelOf } from './pcm.js';

export { MIC_MIME_TYPE } from './pcm.js';

export class Microphone {
  #stream = null;
  #source = null;
  #encoder = null;

  static #loaded = new WeakMap(); // context -> the addModule promise, once per context

  /**
   * `workletUrl`: where mic-worklet.js is served, for pages whose Content-Security-Policy
   * refuses blob: workers; without it the worklet is loaded from its own source text.
   */
  constructor({ workletUrl } = {}) {
    this.workletUrl = workletUrl;
  }

  /** Asks for the microphone (the browser prompts once); calls onChunk(base64, level) per chunk. */
  async start(context, onChunk) {
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({
        // Echo cancellation keeps the model from hearing itself through the speakers.
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      if (error.name !== 'NotAllowedError' && error.name !== 'NotFoundError') throw error;
      throw new MicrophoneError('No microphone: it is blocked for this site or missing. Allow it, or type instead.');
    }
    await this.#load(context);
    this.#source = context.createMediaStreamSource(this.#stream);
    this.#encoder = new AudioWorkletNode(context, 'pcm-encoder');
    this.#encoder.port.onmessage = ({ data }) => onChunk(int16ToBase64(data), levelOf(data));
    // The worklet has no output worth hearing, but a node only runs while it is connected.
    this.#source.connect(this.#encoder);
  }

  #load(context) {
    let loading = Microphone.#loaded.get(context);
    if (!loading) {
      const url = this.workletUrl ?? sourceUrl();
      loading = context.audioWorklet.addModule(url).finally(() => {
        if (!this.workletUrl) URL.revokeObjectURL(url);
      });
      Microphone.#loaded.set(context, loading);
    }
    return loading;
  }

  stop() {
    this.#source?.disconnect();
    if (this.#encoder) this.#encoder.port.onmessage = null;
    this.#stream?.getTracks().forEach((track) => track.stop());
    this.#stream = this.#source = this.#encoder = null;
  }
}

export class MicrophoneError extends TokenvendClientError {
  name = 'MicrophoneError';
}

/** The worklet module as a Blob URL, from the processor function's own source text. */
function sourceUrl() {
  const source = `(${definePcmEncoder.toString()})();\n`;
  return URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
}
