"""Quotas: how many tokens a caller and a profile may mint per window, and the kill switch.

``build`` turns the policy's quotas section into the ``gate`` on the request path; the
gate checks the switch (``pause``), the per-caller limit (``caller_book``, keyed by
``caller_key``) and the per-profile limit (``budget``, blocks leased by ``lease`` from
the ``shards`` of a window of ``windows``). Counts live behind ``store``, on Firestore
through ``firestore`` and ``transport``; ``health`` remembers a store just found down.
"""
