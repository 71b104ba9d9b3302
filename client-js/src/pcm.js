// 16-bit little-endian PCM <-> base64, the encoding the Live API uses for audio both ways.

export function int16ToBase64(samples) {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  let binary = '';
  // String.fromCharCode takes arguments, so go in slices well under the engine's limit.
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

export function base64ToFloat32(data) {
  const binary = atob(data);
  const samples = new Float32Array(binary.length >> 1);
  for (let i = 0; i < samples.length; i += 1) {
    const value = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
    samples[i] = (value >= 0x8000 ? value - 0x10000 : value) / 32768;
  }
  return samples;
}

/** The sample rate a mime type such as `audio/pcm;rate=24000` names (24 kHz if none). */
export function rateOf(mimeType) {
  return Number(/rate=(\d+)/.exec(mimeType ?? '')?.[1] ?? 24000);
}

/** What the microphone sends: 16 kHz 16-bit mono PCM, the Live API's input format. */
export const MIC_MIME_TYPE = 'audio/pcm;rate=16000';

/** Root mean square of 16-bit samples, 0 (silence) to 1 (full scale): the level meter's value. */
export function levelOf(samples) {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) sum += (sample / 32768) ** 2;
  return Math.sqrt(sum / samples.length);
}
