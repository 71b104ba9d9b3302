"""The naive baseline: a token function written the obvious way, without tokenvend.

Module-level clients, the API key read from Secret Manager once at import, and the
``google-genai`` SDK's ``client.auth_tokens.create`` per request. ``make bench`` runs it
from its own virtual environment (.venv-naive) against the same loopback fakes as
tokenvend; the two ``*_ENDPOINT`` variables point the clients there.
"""

import datetime
import os

import flask
import functions_framework
from google import genai
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager
from google.genai import types

secrets = secretmanager.SecretManagerServiceClient(
    transport="rest",
    credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    client_options=ClientOptions(api_endpoint=os.environ["NAIVE_SECRET_MANAGER_ENDPOINT"]),
)
api_key = (
    secrets.access_secret_version(name=os.environ["NAIVE_API_KEY_SECRET"] + "/versions/latest")
    .payload.data.decode()
    .strip()
)
client = genai.Client(
    api_key=api_key,
    http_options=types.HttpOptions(
        api_version="v1alpha", base_url=os.environ["NAIVE_GEMINI_ENDPOINT"]
    ),
)


@functions_framework.http
def mint_token(request: flask.Request) -> tuple[dict[str, str | None], int, dict[str, str]]:
    now = datetime.datetime.now(tz=datetime.UTC)
    token = client.auth_tokens.create(
        config=types.CreateAuthTokenConfig(
            uses=1,
            expire_time=now + datetime.timedelta(minutes=10),
            new_session_expire_time=now + datetime.timedelta(minutes=1),
            live_connect_constraints=types.LiveConnectConstraints(
                model="gemini-3.8-live",
                config=types.LiveConnectConfig(
                    response_modalities=["AUDIO"],
                    system_instruction="You are a friendly voice assistant. Keep answers short.",
                ),
            ),
        )
    )
    return {"name": token.name}, 200, {"Cache-Control": "no-store"}
