// Types of tokenvend-client. `LiveToken` and `TokenvendErrorBody` mirror openapi.yaml's
// TokenGrant and Error schemas; tests/test_client_types.py keeps them in sync.
import type { LiveServerMessage } from '@google/genai';

/** What the function answers (openapi.yaml, TokenGrant). */
export interface LiveToken {
  /** The token. Pass it to the SDK as `apiKey`; never log or store it. */
  name: string;
  /** When the token stops working, even in an open session (RFC 3339, UTC). */
  expireTime: string;
  /** The last moment a session may be started with the token (RFC 3339, UTC). */
  newSessionExpireTime: string;
  /** How many sessions the token may start; 0 means unlimited. */
  uses: number;
  /** The model the token is constrained to; null when the profile is `live: unconstrained`. */
  model: string | null;
  /** The API version the SDK must use with the token. */
  apiVersion: 'v1alpha';
  /** The Live API WebSocket method the token is for (the SDK builds it itself). */
  websocketUrl: string;
}

/** The function's error body (openapi.yaml, Error): Google's API error shape. */
export interface TokenvendErrorBody {
  error: {
    code: number;
    status: string;
    message: string;
    details: ErrorInfo[];
  };
}

/** Why (openapi.yaml, ErrorInfo): `reason` is a code an app can act on, e.g. `QUOTA_EXHAUSTED_CALLER`. */
export interface ErrorInfo {
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo';
  reason: string;
  domain: 'tokenvend';
}

export interface TokenHooks {
  /** For `callers: firebase` or `google`: e.g. `() => auth.currentUser!.getIdToken()`. */
  getIdToken?: () => Promise<string | null | undefined> | string | null | undefined;
  /**
   * For profiles with `access.app_check`. `limitedUse` is `appCheckLimitedUse`: ask
   * Firebase for a limited-use token then (`getLimitedUseToken(appCheck)`).
   */
  getAppCheckToken?: (request: { limitedUse: boolean }) => Promise<string | null | undefined> | string | null | undefined;
  /** Set when the profile has `app_check.consume: true`: each App Check token is accepted once. */
  appCheckLimitedUse?: boolean;
  /** A fixed ID token, instead of `getIdToken`. */
  idToken?: string;
  /** A fixed App Check token, instead of `getAppCheckToken`. */
  appCheckToken?: string;
  /** Client options the profile allows, e.g. `{voice: 'Kore'}`. */
  options?: Record<string, unknown>;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

/** Throws a TokenError for an error answer (or none), a TokenFormatError for a 2xx that is not a token. */
export function fetchLiveToken(functionUrl: string, hooks?: TokenHooks): Promise<LiveToken>;

/** The documented token in a 2xx body, frozen, with exactly its fields; else throws a TokenFormatError. */
export function parseLiveToken(body: unknown, context?: { functionUrl?: string; code?: number }): Readonly<LiveToken>;

export const MARGIN_MS: number;

export function canReuse(
  token: LiveToken | null | undefined,
  connection: { resuming: boolean; sessionsStarted: number },
  now?: number,
): boolean;

/** Hands out a token while it can open the connection asked for; fetches a new one otherwise. */
export class LiveTokenSource {
  constructor(functionUrl: string, hooks?: TokenHooks & { now?: () => number });
  readonly functionUrl: string;
  readonly current: LiveToken | null;
  /** How many tokens it has fetched. */
  readonly fetched: number;
  get(connection?: { resuming?: boolean }): Promise<LiveToken>;
  reusable(connection?: { resuming?: boolean }): boolean;
  /** A new session (not a resumption) opened with the current token. */
  started(): void;
  /** The Live API refused the current token: the next get() fetches a new one. */
  discard(): void;
}

/** The root of every error the package throws or reports. */
export class TokenvendClientError extends Error {}

/** The function answered with an error body (Google's API error shape), or (TokenNetworkError) not at all. */
export class TokenError extends TokenvendClientError {
  constructor(
    message: string,
    fields?: { code: number; status: string; reason?: string | null; retryAfterSeconds?: number | null; cause?: unknown },
  );
  /** The HTTP status; 0 when no answer could be read. */
  readonly code: number;
  /** The Google status name: PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE, ... */
  readonly status: string;
  /** The machine-readable reason (`error.details[0].reason`, e.g. `QUOTA_EXHAUSTED_CALLER`); null if none came. */
  readonly reason: string | null;
  /** Seconds from `Retry-After` (429 and 503); null without one. */
  readonly retryAfterSeconds: number | null;
  /** Whether asking again later can succeed. */
  readonly retryable: boolean;
}

/** No answer could be read (unreachable, or an origin the profile does not allow). */
export class TokenNetworkError extends TokenError {}

/** The function answered 2xx with something that is not the documented token. Not a TokenError. */
export class TokenFormatError extends TokenvendClientError {
  constructor(message: string, fields?: { code: number; field?: string | null; cause?: unknown });
  /** The HTTP status of the answer (2xx). */
  readonly code: number;
  /** The first field found wrong (`name`, `expireTime`, ...; `the body` when it is not an object); null when the body is not JSON. */
  readonly field: string | null;
}

/**
 * The Live connection ended and the session will not reconnect by itself: a 1007 or 1008
 * close (reconnecting would be refused the same way), or the reconnect limit was reached.
 */
export class LiveConnectionError extends TokenvendClientError {
  constructor(
    message: string,
    fields?: { closeCode: number; closeReason?: string; reconnects?: number; cause?: unknown },
  );
  /** The WebSocket close code; 1006 when the connection broke without one. */
  readonly closeCode: number;
  /** The service's close reason; '' when it gave none. */
  readonly closeReason: string;
  /** How many reconnects were tried within the window before this. */
  readonly reconnects: number;
  /** Whether the service refused what was sent (1007, 1008). */
  readonly refused: boolean;
}

export function parseRetryAfter(value: string | null | undefined, now?: number): number | null;

export interface VoiceSessionConfig extends TokenHooks {
  /** Where tokens come from; or give `functionUrl` and a LiveTokenSource is made. */
  tokens?: LiveTokenSource;
  functionUrl?: string;
  /** The model, for `live: unconstrained` tokens (a constrained token names its own). */
  model?: string;
  /** Another Live API base URL (a local stand-in); leave it out for Google's. */
  liveBaseUrl?: string;
  /**
   * Unexpected closes (not 1007/1008, which never reconnect) are reopened at most this
   * many times within `reconnectWindowMs`; then the session ends with a LiveConnectionError. Default 3.
   */
  maxReconnects?: number;
  /** The sliding window `maxReconnects` counts in. Default 60000. */
  reconnectWindowMs?: number;
  /** The wait before the first reconnect in the window, doubled for each further one. Default 500. */
  reconnectDelayMs?: number;
  /** The longest wait before a reconnect. Default 8000. */
  maxReconnectDelayMs?: number;
  /** The clock (milliseconds since the epoch), for the reconnect window and token reuse; for tests. */
  now?: () => number;
  /** How to wait before a reconnect; for tests. Default: a timer that stop() cuts short. */
  sleep?: (ms: number) => Promise<unknown>;
}

export interface AudioBlob {
  data: string;
  mimeType: string;
}

export interface VoiceSessionCallbacks {
  state?: (state: VoiceState, text: string) => void;
  token?: (token: LiveToken) => void;
  audio?: (blob: AudioBlob) => void;
  interrupted?: () => void;
  heard?: (text: string) => void;
  said?: (text: string) => void;
  turn?: () => void;
  resumed?: (withHandle: boolean) => void;
  note?: (text: string) => void;
  /** A reconnect failed or was not allowed: a LiveConnectionError, or a TokenError from the function. */
  error?: (error: Error) => void;
  message?: (message: LiveServerMessage) => void;
}

/** One Live conversation that outlives its connections (goAway, drops). */
export class VoiceSession {
  constructor(config: VoiceSessionConfig, on?: VoiceSessionCallbacks);
  readonly tokens: LiveTokenSource;
  readonly handle: string | null;
  readonly connections: number;
  readonly resumptions: number;
  readonly open: boolean;
  /** Opens the first connection; rejects with a TokenError, or a LiveConnectionError when it closed during setup. */
  start(): Promise<void>;
  sendAudio(base64Pcm16k: string): boolean;
  sendText(text: string): boolean;
  stop(): void;
}

export type VoiceState =
  | 'idle'
  | 'minting'
  | 'connecting'
  | 'ready'
  | 'listening'
  | 'speaking'
  | 'reconnecting'
  | 'stopped'
  | 'error';

export interface TranscriptEntry {
  who: 'you' | 'model';
  text: string;
}

export interface VoiceStats {
  chunksSent: number;
  playedMs: number;
  connections: number;
  resumptions: number;
  turns: number;
  tokens: number;
}

export interface VoiceSnapshot {
  state: VoiceState;
  status: string;
  transcript: readonly TranscriptEntry[];
  microphoneLevel: number;
  error: Error | null;
  token: LiveToken | null;
  stats: VoiceStats;
}

export interface LiveVoiceConfig extends VoiceSessionConfig {
  /** Where mic-worklet.js is served, for a Content-Security-Policy without blob:. */
  workletUrl?: string | URL;
}

export interface LiveVoiceEvents {
  change: CustomEvent<VoiceSnapshot>;
  state: CustomEvent<{ state: VoiceState; text: string }>;
  transcript: CustomEvent<{ entries: readonly TranscriptEntry[] }>;
  level: CustomEvent<{ microphone: number }>;
  token: CustomEvent<{ token: LiveToken }>;
  note: CustomEvent<{ text: string }>;
  error: CustomEvent<{ error: Error }>;
}

/** A browser voice conversation: microphone, gap-free playback, transcript, resumption. */
export class LiveVoice extends EventTarget {
  constructor(config: LiveVoiceConfig);
  readonly state: VoiceState;
  readonly status: string;
  readonly transcript: readonly TranscriptEntry[];
  readonly microphoneLevel: number;
  readonly error: Error | null;
  readonly token: LiveToken | null;
  readonly stats: VoiceStats;
  readonly listening: boolean;
  readonly snapshot: VoiceSnapshot;
  start(): Promise<void>;
  sendText(text: string): Promise<boolean>;
  stop(text?: string): void;
  addEventListener<K extends keyof LiveVoiceEvents>(
    type: K,
    listener: (event: LiveVoiceEvents[K]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof LiveVoiceEvents>(
    type: K,
    listener: (event: LiveVoiceEvents[K]) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

export class Microphone {
  constructor(options?: { workletUrl?: string | URL });
  start(context: AudioContext, onChunk: (base64Pcm16k: string, level: number) => void): Promise<void>;
  stop(): void;
}

export class MicrophoneError extends TokenvendClientError {}

export class Player extends EventTarget {
  constructor(context: AudioContext);
  readonly playedMs: number;
  readonly interruptions: number;
  readonly speaking: boolean;
  play(blob: AudioBlob): void;
  interrupt(): void;
}

export const MIC_MIME_TYPE: 'audio/pcm;rate=16000';
export function int16ToBase64(samples: Int16Array): string;
export function base64ToFloat32(data: string): Float32Array;
export function rateOf(mimeType: string | undefined): number;
export function levelOf(samples: Int16Array): number;
