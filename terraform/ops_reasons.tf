# The log reason codes (field `reason` of each request's JSON log line,
# jsonPayload.reason in Cloud Logging) that the operations pack filters on, in
# one place. They are defined by the function's code (tokenvend/reasons.py);
# tests/terraform/test_ops_reasons.py checks that every code and prefix here is
# defined there, so renaming a reason cannot silently break a metric or alert.

locals {
  # The one line each request ends with carries this field and value
  # (tokenvend/logs.py, written by tokenvend/web/endpoint.py); no other line
  # does, so only it feeds the request metrics.
  request_line = {
    field = "event"
    value = "request"
  }

  reason_codes = {
    minted                   = "minted"
    preflight                = "preflight"
    no_api_key               = "no_api_key"
    quota_exhausted_caller   = "quota_exhausted_caller"
    quota_exhausted_profile  = "quota_exhausted_profile"
    profile_paused           = "profile_paused"
    quota_store_unavailable  = "quota_store_unavailable"
    quota_caller_busy        = "quota_caller_busy"
    budget_paused            = "budget_paused"
    budget_malformed         = "budget_malformed"
    budget_store_unavailable = "budget_store_unavailable"
  }

  # Families of codes, matched by prefix: every upstream (Gemini) failure
  # starts with upstream_, every Secret Manager failure with secret_.
  reason_prefixes = {
    upstream = "upstream_"
    secret   = "secret_"
  }

  # Quota refusals an operator acts on: a profile-wide limit, the kill switch,
  # or the counter store being down. One caller over its own limit, or asking
  # again while its previous request still holds its counter, is the quota
  # doing its job and is only counted.
  quota_reasons = [
    local.reason_codes.quota_exhausted_caller,
    local.reason_codes.quota_exhausted_profile,
    local.reason_codes.profile_paused,
    local.reason_codes.quota_store_unavailable,
    local.reason_codes.quota_caller_busy,
  ]
  quota_alert_reasons = [
    local.reason_codes.quota_exhausted_profile,
    local.reason_codes.profile_paused,
    local.reason_codes.quota_store_unavailable,
  ]

  # What the budget guard logs (its own line, event budget_guard) that an
  # operator must hear about: it paused every profile, or a notification came
  # that it could not act on, so the budget guards nothing until fixed.
  guard_line = {
    field = "event"
    value = "budget_guard"
  }
  guard_failed_reasons = [
    local.reason_codes.budget_malformed,
    local.reason_codes.budget_store_unavailable,
  ]
}
