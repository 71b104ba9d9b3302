"""Gemini's side of a token: the key, the request, and the one call that mints.

``api_key`` says where the API key comes from (Secret Manager through
``secret_manager``, cached; or a local variable); ``request`` compiles a policy into
the body of the auth_tokens request and its URL; ``minter`` sends it and translates the answer.
"""
