// The one file to edit: where the page gets its Gemini Live token.
//
// `functionUrl` is your deployed tokenvend function's URL (Terraform prints it as
// `function_urls`), or the local one from `make run`. The page's own origin must be
// listed in that profile's `access.allowed_origins`.
export default {
  functionUrl: 'http://127.0.0.1:8080/',

  // Used only when the profile is `live: unconstrained` (the token names no model).
  model: 'gemini-3.8-live',

  // Leave undefined: the SDK then talks to generativelanguage.googleapis.com. `make demo`
  // and the end-to-end test serve a config.js of their own that points it at the Live
  // stand-in on 127.0.0.1.
  liveBaseUrl: undefined,
};
