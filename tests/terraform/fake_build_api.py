"""A loopback fake of the three APIs terraform/scripts/build_image.py calls.

- Cloud Storage's simple media upload (``POST /upload/storage/v1/b/B/o?uploadType=media``),
  honouring ``ifGenerationMatch=0`` (412 when the object exists);
- Cloud Run's ``POST /v2/projects/P/locations/R/builds:submit``, answering with a Cloud
  Build operation as the real API does (``buildOperation``, ``baseImageUri``);
- Cloud Build's ``GET /v1/projects/P/locations/R/operations/ID``, done after
  ``polls_before_done`` polls, with a build that ends in ``outcome``.

It records what it was sent, so tests (and the offline apply of `make tf-plan`) can
check the exact build request Terraform's build step makes.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

from tests.fakes.server import LoopbackServer, QuietHandler

_UPLOAD = re.compile(r"^/upload/storage/v1/b/([^/]+)/o$")
_SUBMIT = re.compile(r"^/v2/projects/([^/]+)/locations/([^/]+)/builds:submit$")
_CLOUDBUILD_TYPES = "type.googleapis.com/google.devtools.cloudbuild.v1"
_OPERATION = re.compile(r"^/v1/(projects/[^/]+/locations/[^/]+/operations/[^/]+)$")


DIGEST = "sha256:" + "0" * 64


@dataclass
class Build:
    request: dict[str, Any]
    operation: str
    polls: int = 0


class FakeBuildApi(LoopbackServer):
    def __init__(self, *, polls_before_done: int = 1, outcome: str = "SUCCESS") -> None:
        super().__init__(_Handler)
        self.polls_before_done = polls_before_done
        self.outcome = outcome
        self.submit_status = 200
        self.objects: dict[str, bytes] = {}
        self.builds: list[Build] = []
        self._lock = threading.Lock()

    def endpoints(self) -> dict[str, str]:
        """The environment that points the build step at this fake."""
        return {
            "TOKENVEND_BUILD_STORAGE_ENDPOINT": self.url,
            "TOKENVEND_BUILD_RUN_ENDPOINT": self.url,
            "TOKENVEND_BUILD_CLOUDBUILD_ENDPOINT": self.url,
            "TOKENVEND_BUILD_POLL_SECONDS": "0",
        }

    def upload(self, bucket: str, query: dict[str, str], data: bytes) -> tuple[int, Any]:
        name = f"{bucket}/{query['name']}"
        with self._lock:
            if query.get("ifGenerationMatch") == "0" and name in self.objects:
                return 412, _error(412, "FAILED_PRECONDITION", "the object exists")
            self.objects[name] = data
        return 200, {"bucket": bucket, "name": query["name"], "generation": "1"}

    def submit(self, project: str, region: str, body: dict[str, Any]) -> tuple[int, Any]:
        if self.submit_status != 200:
            status = self.submit_status
            return status, _error(status, "PERMISSION_DENIED", "denied by the fake")
        with self._lock:
            number = len(self.builds) + 1
            operation = f"projects/{project}/locations/{region}/operations/build-{number}"
            self.builds.append(Build(body, operation))
        build_id = f"build-{number}"
        return 200, {
            "buildOperation": {
                "name": operation,
                "metadata": {
                    "@type": f"{_CLOUDBUILD_TYPES}.BuildOperationMetadata",
                    "build": {"id": build_id, "logUrl": f"https://console.example/{build_id}"},
                },
            },
            "baseImageUri": body.get("buildpackBuild", {}).get("baseImage", ""),
        }

    def operation(self, name: str) -> tuple[int, Any]:
        with self._lock:
            build = next((b for b in self.builds if b.operation == name), None)
            if build is None:
                return 404, _error(404, "NOT_FOUND", f"{name} not found")
            build.polls += 1
            done = build.polls >= self.polls_before_done
        answer: dict[str, Any] = {"name": name, "done": done}
        if done:
            answer["response"] = {
                "status": self.outcome,
                "statusDetail": "" if self.outcome == "SUCCESS" else "step 2 failed",
                "logUrl": f"https://console.example/{name.rsplit('/', 1)[-1]}",
                "results": {"images": [{"name": build.request["imageUri"], "digest": DIGEST}]},
            }
        return 200, answer


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message}}


class _Handler(QuietHandler):
    def _answer(self, status: int, body: Any) -> None:
        self.send_json(status, json.dumps(body).encode())

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:  # noqa: N802
        fake: FakeBuildApi = self.server.fake  # type: ignore[attr-defined]
        path, _, query = self.path.partition("?")
        data = self._body()
        if upload := _UPLOAD.match(path):
            params = dict(urllib.parse.parse_qsl(query))
            self._answer(*fake.upload(urllib.parse.unquote(upload.group(1)), params, data))
        elif submit := _SUBMIT.match(path):
            self._answer(*fake.submit(submit.group(1), submit.group(2), json.loads(data)))
        else:
            self._answer(404, _error(404, "NOT_FOUND", path))

    def do_GET(self) -> None:  # noqa: N802
        fake: FakeBuildApi = self.server.fake  # type: ignore[attr-defined]
        if operation := _OPERATION.match(self.path.partition("?")[0]):
            self._answer(*fake.operation(operation.group(1)))
        else:
            self._answer(404, _error(404, "NOT_FOUND", self.path))
