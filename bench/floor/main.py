"""The floor of ``make bench``: the least a token function can do, on the same server.

``empty`` answers without calling anyone: what functions-framework, Flask and gunicorn
cost per request. ``forward`` is the smallest function that mints: the same POST
tokenvend sends for ``voice-assistant``, with a module-level urllib3 pool, straight to
the Gemini fake, and Gemini's token name back. Anything tokenvend spends beyond
``forward`` is its own work (policy, checks, logging, its HTTP client).
"""

import datetime
import json
import os

import flask
import functions_framework
import urllib3

URL = os.environ["FLOOR_GEMINI_ENDPOINT"].rstrip("/") + "/v1alpha/auth_tokens"
HEADERS = {"x-goog-api-key": os.environ["FLOOR_API_KEY"], "Content-Type": "application/json"}
SETUP = {
    "model": "models/gemini-3.8-live",
    "generationConfig": {
        "responseModalities": ["AUDIO"],
        "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}},
    },
    "systemInstruction": {
        "parts": [{"text": "You are a friendly voice assistant. Keep answers short."}],
        "role": "user",
    },
    "sessionResumption": {},
    "inputAudioTranscription": {},
    "outputAudioTranscription": {},
}
pool = urllib3.PoolManager(maxsize=32)


@functions_framework.http
def empty(request: flask.Request) -> tuple[dict[str, str], int]:
    return {"name": "auth_tokens/empty"}, 200


@functions_framework.http
def forward(request: flask.Request) -> tuple[dict[str, str], int]:
    now = datetime.datetime.now(tz=datetime.UTC)
    body = {
        "expireTime": (now + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "newSessionExpireTime": (now + datetime.timedelta(minutes=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "uses": 1,
        "bidiGenerateContentSetup": SETUP,
    }
    answer = pool.request("POST", URL, body=json.dumps(body).encode(), headers=HEADERS)
    return {"name": json.loads(answer.data)["name"]}, answer.status
