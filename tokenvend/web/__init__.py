"""The HTTP edge: one request in, one response and one log line out.

``endpoint`` runs the checks in order and is the one place errors become responses;
``cors`` answers for the policy's origins; ``body`` parses the optional JSON body;
``limits`` and ``read_deadlines`` bound what a request body may cost on the wire.
"""
