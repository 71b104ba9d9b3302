// Getting a Gemini Live token from a tokenvend function: one POST, with the caller's
// credentials from hooks, and a source that reuses a token while it may still open the
// next connection.
import { TokenFormatError, TokenNetworkError, errorFromResponse } from './errors.js';

/**
 * POSTs to the tokenvend function and returns its JSON: {name, expireTime,
 * newSessionExpireTime, uses, model, apiVersion, websocketUrl}. Throws a TokenError for an
 * error answer or none, and a TokenFormatError for a 2xx answer that is not that token.
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
  if (!response.ok) throw errorFromResponse(response, await response.json().catch(() => null));
  let text;
  try {
    text = await response.text();
  } catch (cause) {
    if (cause?.name === 'AbortError') throw cause;
    throw new TokenNetworkError(`The answer from ${functionUrl} broke off. The function is unreachable.`, {
      code: 0,
      status: 'UNAVAILABLE',
      cause,
    });
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not chained: a JSON.parse message quotes the text, and the text may hold anything.
    throw new TokenFormatError(`The answer from ${functionUrl} (${response.status}) is not JSON, so not a token.`, {
      code: response.status,
    });
  }
  return parseLiveToken(parsed, { functionUrl, code: response.status });
}

// RFC 3339 with a zone, as the function writes times; Date.parse alone takes far more.
const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The token in a 2xx body, as a frozen LiveToken of exactly the documented fields (so a
 * time that cannot be read never reaches canReuse); throws a TokenFormatError naming
 * the first field that is not what openapi.yaml's TokenGrant says.
 */
export function parseLiveToken(body, { functionUrl = 'the function', code = 200 } = {}) {
  const wrong = (field, what) =>
    new TokenFormatError(`The answer from ${functionUrl} is not a token: ${field} ${what}.`, { code, field });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw wrong('the body', 'is not an object');
  const { name, expireTime, newSessionExpireTime, uses, model, apiVersion, websocketUrl } = body;
  if (typeof name !== 'string' || !name.startsWith('auth_tokens/') || name.length === 'auth_tokens/'.length) {
    throw wrong('name', 'is not an auth_tokens/ name');
  }
  for (const [field, value] of [
    ['expireTime', expireTime],
    ['newSessionExpireTime', newSessionExpireTime],
  ]) {
    if (typeof value !== 'string' || !RFC_3339.test(value) || !Number.isFinite(Date.parse(value))) {
      throw wrong(field, 'is not an RFC 3339 time');
    }
  }
  if (!Number.isSafeInteger(uses) || uses < 0) throw wrong('uses', 'is not a whole number of 0 or more');
  if (model !== null && typeof model !== 'string') throw wrong('model', 'is neither a string nor null');
  if (typeof apiVersion !== 'string') throw wrong('apiVersion', 'is not a string');
  if (typeof websocketUrl !== 'string') throw wrong('websocketUrl', 'is not a string');
  return Object.freeze({ name, expireTime, newSessionExpireTime, uses, model, apiVersion, websocketUrl });
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
  // Written as "ahead", not "not past": a time that cannot be read (NaN) is never ahead.
  const ahead = (time) => Date.parse(time) - MARGIN_MS > now;
  if (!ahead(token.expireTime)) return false;
  if (resuming) return true;
  if (!ahead(token.newSessionExpireTime)) return false;
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
