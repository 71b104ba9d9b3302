// How often a Live session may reconnect by itself. A connection the service closed
// with 1007 (invalid payload) or 1008 (policy violation: a refused token, handle or
// locked config) is never reopened: the same setup would be refused again, and each try
// could cost a token or one of its uses. Other unexpected closes are reopened after an
// exponential backoff, a limited number of times within a sliding window, so a service
// that keeps dropping the connection is given up on instead of hammered.
import { LiveConnectionError, isRefusal } from './errors.js';

export const RECONNECT_DEFAULTS = Object.freeze({
  maxReconnects: 3,
  reconnectWindowMs: 60_000,
  reconnectDelayMs: 500,
  maxReconnectDelayMs: 8000,
});

/** `code: reason` of a close, as the notes and error messages spell it. */
export function describeClose({ code, reason }) {
  return reason ? `${code}: ${reason}` : String(code);
}

/**
 * The reconnects a session has left. `next()` counts one and says how long to wait
 * before it: `reconnectDelayMs` doubled for each reconnect already in the window, at
 * most `maxReconnectDelayMs`; null once `maxReconnects` fell within `reconnectWindowMs`.
 */
export class ReconnectBudget {
  #times = []; // when each reconnect within the window was counted, by `now()`

  constructor(options = {}) {
    const pick = (name) => options[name] ?? RECONNECT_DEFAULTS[name];
    this.maxReconnects = pick('maxReconnects');
    this.reconnectWindowMs = pick('reconnectWindowMs');
    this.reconnectDelayMs = pick('reconnectDelayMs');
    this.maxReconnectDelayMs = pick('maxReconnectDelayMs');
    this.now = options.now ?? Date.now;
  }

  /** How many reconnects fall within the window now. */
  get recent() {
    const now = this.now();
    this.#times = this.#times.filter((at) => now - at < this.reconnectWindowMs);
    return this.#times.length;
  }

  /** The delay (milliseconds) before the next reconnect, which is counted; null when none is left. */
  next() {
    const recent = this.recent;
    if (recent >= this.maxReconnects) return null;
    this.#times.push(this.now());
    return Math.min(this.maxReconnectDelayMs, this.reconnectDelayMs * 2 ** recent);
  }

  /**
   * The delay before reconnecting after `close` ({code, reason}), counted; throws a
   * LiveConnectionError for a refusal, and once no reconnect is left.
   */
  after(close) {
    const fields = { closeCode: close.code, closeReason: close.reason ?? '', reconnects: this.recent };
    if (isRefusal(close.code)) {
      throw new LiveConnectionError(
        `The Live API refused the session (${describeClose(close)}); reconnecting would be refused the same way.`,
        fields,
      );
    }
    const delay = this.next();
    if (delay === null) {
      throw new LiveConnectionError(
        `The Live connection kept closing (last: ${describeClose(close)}); gave up after ` +
          `${this.maxReconnects} reconnects within ${this.reconnectWindowMs / 1000} s.`,
        fields,
      );
    }
    return delay;
  }
}
