"""``make demo``: the voice page working end to end on this machine, with no API key.

It starts, on 127.0.0.1, the fake Gemini ``auth_tokens`` endpoint (``tests/fakes``),
the real function (a functions-framework process) minting from it under a demo profile
written here, the Live API stand-in (``tests/e2e/live_fake.py``) that the page talks
to instead of Google, and the example page, told where both are. Then it prints the one
URL to open. The stand-in follows a script (it answers, sends ``goAway``, drops the
connection, and keeps answering), so the page shows a whole conversation, its
resumptions and its transcript; nothing it says comes from a model.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
from pathlib import Path

from tests.e2e.live_fake import FakeLive
from tests.e2e.static_site import StaticSite
from tests.fakes.gemini import FakeGemini
from tests.process import FunctionProcess
from tokenvend.settings import env_name

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "demo"
USES = 1
POLICY = """\
description: make demo; voice, resumable, everything locked, minted by a fake Gemini.
token:
  uses: {uses}
  expire_after_seconds: 600
  new_session_expire_after_seconds: 60
live:
  model: gemini-3.8-live
  config:
    responseModalities: [AUDIO]
    systemInstruction: You are a friendly voice assistant. Keep answers short.
    sessionResumption: {{}}
    inputAudioTranscription: {{}}
    outputAudioTranscription: {{}}
  lock: all
access:
  allowed_origins: [{origin}]
  callers: anonymous
deploy:
  public: true
"""
# An obviously fake key: the fake Gemini accepts anything, and the real one never sees it.
DEMO_KEY = "demo-key-for-the-fake-gemini"
CHATTER_EVERY_CHUNKS = 30  # after the script, a scripted answer per 3 s of sound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="the page's port")
    args = parser.parse_args(argv)
    # A terminated demo stops its function process too, as Ctrl-C does (also when started
    # from a shell that had SIGINT ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    gemini = FakeGemini()
    live = FakeLive(
        token_is_valid=lambda token: token in gemini.minted,
        token_uses=lambda _: USES,
        chatter_every_chunks=CHATTER_EVERY_CHUNKS,
    )
    try:
        page = StaticSite(ROOT / "examples" / "web", port=args.port)
    except OSError:
        print(f"port {args.port} is in use: set DEMO_PORT=...", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as policy_dir, gemini, live, page:
        (Path(policy_dir) / f"{PROFILE}.yaml").write_text(
            POLICY.format(uses=USES, origin=page.origin), encoding="utf-8"
        )
        environment = {
            env_name("profile"): PROFILE,
            env_name("policy_dir"): policy_dir,
            env_name("gemini_endpoint"): gemini.url,
            env_name("gemini_api_key"): DEMO_KEY,
            env_name("api_key_secret"): "",
        }
        with FunctionProcess(environment, debug=False) as function:
            function.wait_until_listening()
            page.serve_config({"functionUrl": f"{function.url}/", "liveBaseUrl": live.base_url})
            print(f"Open {page.origin}/  and press Start (Ctrl-C stops the demo)", flush=True)
            print(
                f"  the function {function.url}/ mints from a fake Gemini; the page talks to a "
                f"scripted Live stand-in at {live.base_url}, not to a model",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
