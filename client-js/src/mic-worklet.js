// Runs on the audio thread: turns the microphone's float samples (at the context's
// rate, usually 48 kHz) into 16 kHz 16-bit PCM and posts one Int16Array every 100 ms.
//
// Resampling averages the input samples that fall into each output sample's slot: a box
// filter, crude but enough to keep speech intelligible and to stop aliasing from the
// highest frequencies (the Live API wants 16 kHz; it resamples other rates itself, but
// sending 16 kHz keeps the upload at 32 kB/s).
//
// The processor is a function so that microphone.js can load it from its own source
// text (a Blob URL): that works under every bundler with no configuration. Pages whose
// Content-Security-Policy refuses blob: scripts load this file by URL instead
// (`workletUrl`; docs/client.md says how under each bundler).
export function definePcmEncoder() {
  const TARGET_RATE = 16000;
  const CHUNK_SAMPLES = TARGET_RATE / 10;

  class PcmEncoder extends AudioWorkletProcessor {
    constructor() {
      super();
      this.step = sampleRate / TARGET_RATE; // input samples per output sample
      this.position = 0; // how far into the current output slot we are, in input samples
      this.sum = 0;
      this.count = 0;
      this.chunk = new Int16Array(CHUNK_SAMPLES);
      this.filled = 0;
    }

    process(inputs) {
      const channel = inputs[0] && inputs[0][0]; // plain syntax: bundlers leave it as it is
      if (!channel) return true; // no input connected yet
      for (const sample of channel) {
        this.sum += sample;
        this.count += 1;
        this.position += 1;
        if (this.position >= this.step) {
          this.position -= this.step;
          this.emit(this.sum / this.count);
          this.sum = 0;
          this.count = 0;
        }
      }
      return true;
    }

    emit(value) {
      const clamped = Math.max(-1, Math.min(1, value));
      this.chunk[this.filled] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
      this.filled += 1;
      if (this.filled === CHUNK_SAMPLES) {
        this.port.postMessage(this.chunk, [this.chunk.buffer]);
        this.chunk = new Int16Array(CHUNK_SAMPLES);
        this.filled = 0;
      }
    }
  }

  registerProcessor('pcm-encoder', PcmEncoder);
}

// Loaded by URL into an AudioWorkletGlobalScope, the module registers itself.
if (typeof AudioWorkletProcessor === 'function' && typeof registerProcessor === 'function') definePcmEncoder();
