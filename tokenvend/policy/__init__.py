"""Policy files: read once at cold start into frozen values nothing past them re-reads.

``loader`` reads a file (strict YAML, the JSON Schema in ``policy.schema.json``, the
rules the schema cannot express) into the dataclasses of ``model``; ``catalogue`` knows
the Live models (``models.json``); ``options`` applies a browser's client options.
"""
