// tokenvend-client: Gemini Live tokens from a tokenvend function, and a voice
// conversation that uses them. Types: index.d.ts; guide: docs/client.md.
export {
  LiveConnectionError,
  TokenError,
  TokenFormatError,
  TokenNetworkError,
  TokenvendClientError,
  parseRetryAfter,
} from './errors.js';
export { LiveTokenSource, MARGIN_MS, canReuse, fetchLiveToken, parseLiveToken } from './token.js';
export { VoiceSession } from './voice-session.js';
export { LiveVoice } from './live-voice.js';
export { Microphone, MicrophoneError } from './microphone.js';
export { Player } from './player.js';
export { MIC_MIME_TYPE, base64ToFloat32, int16ToBase64, levelOf, rateOf } from './pcm.js';
