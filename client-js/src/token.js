// Getting a Gemini Live token from a tokenvend function: one POST, with the caller's
// credentials from hooks, and a source that reuses a token while it may still open the
// next connection.
import { TokenNetworkError, errorFromResponse } from './errors.js';

/**
 * POSTs to the tokenvend function and returns its JSON: {name, expireTime,
 * newSessionExpireTime, uses, model, apiVersion, websocketUrl}. Throws a TokenError.
 *
 * `getIdToken()`: for profiles with `callers: firebase` or `google` (Firebase Auth:
 * `() => auth.currentUser.getIdToken()`). `getAppCheckToken({limitedUse})`: for profiles
 * with `access.app_check`; `limitedUse` is `appCheckLimitedUse`, to be set when the
 * profile has `consume: true` (each token is then accepted once, so ask Firebase for a
 * limited-use one: `getLimitedUseToken(appCheck)`). `options`: the client options the
 * profile allows, e.g. `{voice: 'Kore'}`.
 */
export async function fetchLiveToken(functionUrl, hooks = {}) {
  const headers = { 'Content-Type': 'application/json' };
  const idToken = hooks.idToken ?? (await hooks.getIdToken?.());
  if (idToken) headers.Authorization = `Bearer ${idToken}`;
  const appCheckToken =
    hooks.appCheckToken ?? (await hooks.getAppCheckToken?.({ limitedUse: Boolean(hooks.appCheckLimitedUse) }));
  if (appCheckToken) headers['X-Firebase-AppCheck'] = appCheckToken;
  const body = JSON.stringify(hooks.options ? { options: hooks.options } : {});
  const request = hooks.fetch ?? globalThis.fetch;
  let response;
  try {
    response = await request(functionUrl, { method: 'POST', headers, body, signal: hooks.signal });
  } catch (cause) {
    if (cause?.name === 'AbortError') throw cause;
    const origin = globalThis.location?.origin;
    // A browser hides why: a CORS refusal and a network failure look the same here.
    const why = origin
      ? `Either the function is unreachable, or this page's origin (${origin}) is not in ` +
        "the profile's access.allowed_origins (the browser then blocks the answer)."
      : 'The function is unreachable.';
    throw new TokenNetworkError(`Could not get a token from ${functionUrl}. ${why}`, {
      code: 0,
      status: 'UNAVAILABLE',
      cause,
    });
  }
  const parsed = await response.json().catch(() => null);
  if (!response.ok) throw errorFromResponse(response, parsed);
  if (typeof parsed?.name !== 'string' || typeof parsed?.expireTime !== 'string') {
    throw new TokenNetworkError(`The answer from ${functionUrl} is not a token.`, { code: 0, status: 'UNKNOWN' });
  }
  return parsed;
}

// Tokens are replaced a little before they run out, so a reconnect never races the clock.
export const MARGIN_MS = 5000;

/**
 * Whether `token` can open the next connection. Resuming a session (with a resumption
 * handle) does not count as a use and is not a new session: it needs only `expireTime`
 * ahead. A new session also needs `newSessionExpireTime` ahead and a use left
 * (`uses: 0` means unlimited).
 */
export function canReuse(token, { resuming, sessionsStarted }, now = Date.now()) {
  if (!token) return false;
  if (Date.parse(token.expireTime) - MARGIN_MS <= now) return false;
  if (resuming) return true;
  if (Date.parse(token.newSessionExpireTime) - MARGIN_MS <= now) return false;
  return token.uses === 0 || sessionsStarted < token.uses;
}

/**
 * Tokens for one app: `get({resuming})` hands out the current token while it can open
 * the connection asked for, and asks the function for a new one only when it cannot.
 * Call `started()` after a new session (not a resumption) opened with it, and
 * `discard()` when the Live API refused it. Concurrent `get()`s share one request.
 */
export class LiveTokenSource {
  #token = null;
  #sessions = 0;
  #pending = null;

  /** `hooks`: as for fetchLiveToken, plus `now()` (milliseconds) for tests. */
  constructor(functionUrl, hooks = {}) {
    this.functionUrl = functionUrl;
    this.hooks = hooks;
    this.fetched = 0;
  }

  get current() {
    return this.#token;
  }

  async get({ resuming = false } = {}) {
    const now = this.hooks.now?.() ?? Date.now();
    if (canReuse(this.#token, { resuming, sessionsStarted: this.#sessions }, now)) return this.#token;
    this.#pending ??= fetchLiveToken(this.functionUrl, this.hooks)
      .then((token) => {
        this.#token = token;
        this.#sessions = 0;
        this.fetched += 1;
        return token;
      })
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }

  /** Whether the next `get()` for that kind of connection is answered without a request. */
  reusable({ resuming = false } = {}) {
    const now = this.hooks.now?.() ?? Date.now();
    return canReuse(this.#token, { resuming, sessionsStarted: this.#sessions }, now);
  }

  started() {
    this.#sessions += 1;
  }

  discard() {
    this.#token = null;
    this.#sessions = 0;
  }
}
