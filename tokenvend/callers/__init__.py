"""Who may mint: the caller checks a policy's ``access:`` section asks for.

``build`` picks the checks (anonymous, Firebase Auth or Google ID tokens, App Check in
addition); ``verifier`` is the one path every signed token goes through, with keys from
``public_keys``; ``app_check_replay`` consumes App Check tokens at Firebase. Each check
returns a ``Caller`` or raises Unauthenticated or PermissionDenied.
"""
