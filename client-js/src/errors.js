// What can go wrong getting a token, as values an app can act on: the function's own
// answer (HTTP status, Google status name, reason, message, Retry-After), or no answer.

/** The function answered with an error (Google's API error shape). */
export class TokenError extends Error {
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
