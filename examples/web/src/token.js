// Getting a token from tokenvend: one POST. This is the part to copy into an app.

/**
 * POSTs to the tokenvend function and returns its JSON: {name, expireTime,
 * newSessionExpireTime, uses, model, apiVersion, websocketUrl}.
 *
 * `idToken` is for profiles with `callers: firebase` or `google`
 * (for Firebase Auth: `await auth.currentUser.getIdToken()`); leave it out for
 * `callers: anonymous`.
 */
export async function fetchLiveToken(functionUrl, { idToken } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (idToken) headers.Authorization = `Bearer ${idToken}`;
  let response;
  try {
    response = await fetch(functionUrl, { method: 'POST', headers, body: '{}' });
  } catch {
    // The browser hides why: a CORS refusal and a network failure look the same here.
    throw new TokenError(
      `Could not get a token from ${functionUrl}. Either the function is unreachable, ` +
        `or this page's origin (${location.origin}) is not in the profile's ` +
        'access.allowed_origins (the browser then blocks the answer).',
    );
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body?.error ?? {};
    const retry = response.headers.get('Retry-After');
    throw new TokenError(
      `The token function answered ${response.status} ${error.status ?? ''}: ` +
        `${error.message ?? 'no details'}${retry ? ` (retry in ${retry} s)` : ''}`,
    );
  }
  return body;
}

export class TokenError extends Error {
  name = 'TokenError';
}

// Tokens are replaced a little before they run out, so a reconnect never races the clock.
const MARGIN_MS = 5000;

/**
 * Whether `token` can open the next connection, so the page asks the function again only
 * when it must. Resuming a session (with a resumption handle) does not count as a use and
 * is not a new session: it needs only `expireTime` ahead. A new session also needs
 * `newSessionExpireTime` ahead and a use left (`uses: 0` means unlimited).
 */
export function canReuse(token, { resuming, sessionsStarted }, now = Date.now()) {
  if (!token) return false;
  if (Date.parse(token.expireTime) - MARGIN_MS <= now) return false;
  if (resuming) return true;
  if (Date.parse(token.newSessionExpireTime) - MARGIN_MS <= now) return false;
  return token.uses === 0 || sessionsStarted < token.uses;
}
