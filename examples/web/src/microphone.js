// The microphone as a stream of 100 ms chunks of 16 kHz 16-bit PCM, base64-encoded and
// ready for `session.sendRealtimeInput({audio: {data, mimeType}})`.
import { int16ToBase64 } from './pcm.js';

export const MIC_MIME_TYPE = 'audio/pcm;rate=16000';

export class Microphone {
  #stream = null;
  #source = null;
  #encoder = null;

  static #loaded = new WeakSet(); // contexts that have the worklet module already

  /** Asks for the microphone (the browser prompts once) and calls onChunk(base64) per chunk. */
  async start(context, onChunk) {
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({
        // Echo cancellation keeps the model from hearing itself through the speakers.
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      if (error.name !== 'NotAllowedError' && error.name !== 'NotFoundError') throw error;
      throw new Error('No microphone: it is blocked for this site or missing. Allow it, or type below.');
    }
    if (!Microphone.#loaded.has(context)) {
      // The worklet is its own file: audio worklets load by URL, next to the bundle.
      await context.audioWorklet.addModule(new URL('./mic-worklet.js', import.meta.url));
      Microphone.#loaded.add(context);
    }
    this.#source = context.createMediaStreamSource(this.#stream);
    this.#encoder = new AudioWorkletNode(context, 'pcm-encoder');
    this.#encoder.port.onmessage = ({ data }) => onChunk(int16ToBase64(data));
    // The worklet has no output worth hearing, but a node only runs while it is connected.
    this.#source.connect(this.#encoder);
  }

  stop() {
    this.#source?.disconnect();
    if (this.#encoder) this.#encoder.port.onmessage = null;
    this.#stream?.getTracks().forEach((track) => track.stop());
    this.#stream = this.#source = this.#encoder = null;
  }
}
