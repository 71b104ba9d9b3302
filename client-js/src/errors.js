// What can go wrong, as values an app can act on: the function's own error answer
// (HTTP status, Google status name, reason, message, Retry-After), no answer, an answer
// that is not a token, and a Live connection the service closed for good. All of them
// are TokenvendClientErrors, so one `instanceof` catches everything the package throws.

/** The root of every error this package throws or reports. */
export class TokenvendClientError extends Error {
  name = 'TokenvendClientError';
}

/** The function answered with an error (Google's API error shape). */
export class TokenError extends TokenvendClientError {
  name = 'TokenError';

  /**
   * `code`: the HTTP status (0 when no answer arrived); `status`: the Google status name
   * (`PERMISSION_DENIED`, `RESOURCE_EXHAUSTED`, ...); `reason`: the machine-readable
   * reason (`error.details[0].reason`, e.g. `QUOTA_EXHAUSTED_CALLER`), else null;
   * `retryAfterSeconds`: from `Retry-After` (429 and 503), else null.
   */
  constructor(message, { code, status, reason = null, retryAfterSeconds = null, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.code = code;
    this.status = status;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Whether asking again later can succeed (quota windows, an overloaded upstream, no network). */
  get retryable() {
    return this.code === 0 || this.code === 408 || this.code === 429 || this.code >= 500;
  }
}

/**
 * No answer could be read: the function is unreachable, or (in a browser, which hides
 * which) the page's origin is not in the profile's `access.allowed_origins`.
 */
export class TokenNetworkError extends TokenError {
  name = 'TokenNetworkError';
}

/**
 * The function answered 2xx, but not with the documented token (not JSON, no
 * `auth_tokens/` name, a time that is not RFC 3339, ...): a proxy's page, or a function
 * and a client that disagree. Not a TokenError: there is no error body, and asking again
 * gets the same answer. The message names the field, never its value.
 */
export class TokenFormatError extends TokenvendClientError {
  name = 'TokenFormatError';

  /** `code`: the HTTP status of the answer; `field`: the first field found wrong, or null for a body that is not JSON. */
  constructor(message, { code, field = null, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.code = code;
    this.field = field;
  }
}

/**
 * The Live connection ended and the session will not reconnect by itself: the service
 * closed it with 1007 (invalid payload) or 1008 (policy violation: e.g. the token's
 * locked config refused the setup), which a new connection would meet again, or it kept
 * closing until the reconnect limit was reached.
 */
export class LiveConnectionError extends TokenvendClientError {
  name = 'LiveConnectionError';

  /**
   * `closeCode`: the WebSocket close code (1006 when the connection broke without one);
   * `closeReason`: the service's close reason, else ''; `reconnects`: how many
   * reconnects were tried within the window before giving up.
   */
  constructor(message, { closeCode, closeReason = '', reconnects = 0, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.closeCode = closeCode;
    this.closeReason = closeReason;
    this.reconnects = reconnects;
  }

  /** Whether the service refused what was sent (1007, 1008): reconnecting would fail the same way. */
  get refused() {
    return isRefusal(this.closeCode);
  }
}

/** Whether a close code says the service refused what was sent: 1007 (invalid payload), 1008 (policy violation). */
export function isRefusal(closeCode) {
  return closeCode === 1007 || closeCode === 1008;
}

/** The TokenError for a non-2xx `response` whose body (parsed JSON or null) is `body`. */
export function errorFromResponse(response, body) {
  const error = body && typeof body === 'object' ? (body.error ?? {}) : {};
  const details = Array.isArray(error.details) ? error.details : [];
  const reason = details.find((detail) => typeof detail?.reason === 'string')?.reason ?? null;
  const retryAfterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
  const status = typeof error.status === 'string' ? error.status : statusName(response.status);
  const said = typeof error.message === 'string' && error.message ? error.message : 'no details';
  const retry = retryAfterSeconds === null ? '' : ` (retry in ${retryAfterSeconds} s)`;
  return new TokenError(`The token function answered ${response.status} ${status}: ${said}${retry}`, {
    code: response.status,
    status,
    reason,
    retryAfterSeconds,
  });
}

/** Seconds from a `Retry-After` header: delta-seconds or an HTTP date; null if absent or unusable. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

const NAMES = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function statusName(code) {
  return NAMES[code] ?? 'UNKNOWN';
}
