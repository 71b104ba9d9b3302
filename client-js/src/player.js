// Plays the model's audio (16-bit PCM, 24 kHz) without gaps: each chunk is scheduled to
// start exactly where the previous one ends, so network jitter does not click or stutter.
// `interrupt()` silences everything at once (the user started talking over the model).
import { base64ToFloat32, rateOf } from './pcm.js';

export class Player extends EventTarget {
  /** Milliseconds of model audio that played to the end (interrupted audio is not counted). */
  playedMs = 0;
  interruptions = 0;
  #context;
  #next = 0;
  #playing = new Set();

  constructor(context) {
    super();
    this.#context = context;
  }

  get speaking() {
    return this.#playing.size > 0;
  }

  play({ data, mimeType }) {
    const samples = base64ToFloat32(data);
    if (samples.length === 0) return;
    const buffer = this.#context.createBuffer(1, samples.length, rateOf(mimeType));
    buffer.getChannelData(0).set(samples);
    const source = this.#context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.#context.destination);
    // A small lead when starting from silence, so the first chunk is not cut short.
    this.#next = Math.max(this.#next, this.#context.currentTime + 0.05);
    source.start(this.#next);
    this.#next += buffer.duration;
    this.#playing.add(source);
    if (this.#playing.size === 1) this.dispatchEvent(new Event('start'));
    source.onended = () => {
      if (!this.#playing.delete(source)) return; // stopped by interrupt()
      this.playedMs += buffer.duration * 1000;
      if (this.#playing.size === 0) this.dispatchEvent(new Event('idle'));
    };
  }

  interrupt() {
    if (this.#playing.size === 0) return;
    this.interruptions += 1;
    const stopping = [...this.#playing];
    this.#playing.clear();
    for (const source of stopping) source.stop();
    this.#next = 0;
    this.dispatchEvent(new Event('idle'));
  }
}
