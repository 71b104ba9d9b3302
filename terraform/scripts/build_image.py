"""Build the functions' container image from source, the way Cloud Run does.

Terraform runs this once per image (``terraform_data.image`` in build.tf), because
``google_cloud_run_v2_service``'s ``build_config`` records how a service was built but
starts no build (terraform-provider-google#22263 and #23057, both open). It does what
``gcloud run deploy --source --function`` does, without deploying anything:

1. zips the allowlisted files Terraform names (the same bytes for the same files, so
   the archive's name, which carries a hash of them, always means the same archive);
2. uploads the zip to the source bucket, unless an object of that name is there;
3. asks Cloud Run's build API (``projects.locations.builds:submit``) for a buildpacks
   function build on the runtime base image, enrolled in automatic base image updates,
   run as the build service account;
4. follows the Cloud Build operation until the image is pushed, or fails with the
   build's log URL.

Input: the JSON in TOKENVEND_BUILD_SPEC (build.tf writes it). Credentials: Application
Default Credentials, through google-auth. The API endpoints can be pointed elsewhere
(tests serve them on 127.0.0.1); an ``http://`` endpoint is called without credentials.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
import urllib.parse
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

SPEC_VARIABLE = "TOKENVEND_BUILD_SPEC"
ENDPOINT_VARIABLES = {
    "storage": ("TOKENVEND_BUILD_STORAGE_ENDPOINT", "https://storage.googleapis.com"),
    "run": ("TOKENVEND_BUILD_RUN_ENDPOINT", "https://run.googleapis.com"),
    "cloudbuild": ("TOKENVEND_BUILD_CLOUDBUILD_ENDPOINT", "https://cloudbuild.googleapis.com"),
}
POLL_VARIABLE = "TOKENVEND_BUILD_POLL_SECONDS"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
# The zip format cannot say 1970; its own epoch keeps every entry's date fixed.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
REQUEST_TIMEOUT_SECONDS = (10, 60)
RETRIED_STATUSES = {429, 500, 502, 503, 504}


class BuildFailed(Exception):
    """The image was not built; the message says why and where to look."""


@dataclass(frozen=True)
class Spec:
    """What to build, as Terraform describes it."""

    project: str
    region: str
    bucket: str
    object: str
    files: Mapping[str, str]  # name in the archive -> path on this machine
    source_sha256: str
    image: str
    function_target: str
    base_image: str
    service_account: str
    timeout_seconds: int

    @classmethod
    def from_json(cls, text: str) -> Spec:
        try:
            raw = json.loads(text)
            return cls(
                project=str(raw["project"]),
                region=str(raw["region"]),
                bucket=str(raw["bucket"]),
                object=str(raw["object"]),
                files={str(k): str(v) for k, v in dict(raw["files"]).items()},
                source_sha256=str(raw["source_sha256"]),
                image=str(raw["image"]),
                function_target=str(raw["function_target"]),
                base_image=str(raw["base_image"]),
                service_account=str(raw["service_account"]),
                timeout_seconds=int(raw["timeout_seconds"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BuildFailed(f"{SPEC_VARIABLE} is not a build spec: {error}") from None


def source_sha256(files: Mapping[str, str]) -> str:
    """The hash Terraform names the archive after: each file's name and SHA-256, by name.

    build.tf computes the same thing with ``filesha256``; a test holds the two together.
    """
    lines = []
    for name in sorted(files):
        with open(files[name], "rb") as handle:
            lines.append(f"{name}:{hashlib.sha256(handle.read()).hexdigest()}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def archive(files: Mapping[str, str]) -> bytes:
    """The zip of ``files``: entries by name, fixed dates and modes, so the same files
    always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(files[name], "rb") as handle:
                zipped.writestr(info, handle.read())
    return buffer.getvalue()


class Response(Protocol):
    status_code: int
    text: str

    def json(self) -> Any: ...


class Session(Protocol):
    def request(self, method: str, url: str, **kwargs: Any) -> Response: ...


@dataclass
class Builder:
    """One image build against the three APIs, through ``session``."""

    spec: Spec
    session: Session
    endpoints: Mapping[str, str]
    poll_seconds: float = 5.0

    def run(self) -> str:
        """Builds the image; returns its digest."""
        deadline = time.monotonic() + self.spec.timeout_seconds
        if source_sha256(self.spec.files) != self.spec.source_sha256:
            raise BuildFailed(
                "the source files changed after terraform planned this build: "
                "run terraform apply again"
            )
        self.upload(archive(self.spec.files), deadline)
        operation = self.submit(deadline)
        return self.follow(operation, deadline)

    def upload(self, data: bytes, deadline: float) -> None:
        query = urllib.parse.urlencode(
            {"uploadType": "media", "name": self.spec.object, "ifGenerationMatch": "0"}
        )
        bucket = urllib.parse.quote(self.spec.bucket, safe="")
        url = f"{self.endpoints['storage']}/upload/storage/v1/b/{bucket}/o?{query}"
        # ifGenerationMatch=0: never overwrite. The name carries the content's hash, so
        # an object of that name (412) is this very archive.
        self._call(
            "upload the source archive",
            "POST",
            url,
            deadline,
            data=data,
            headers={"Content-Type": "application/zip"},
            accept=(200, 412),
        )
        print(f"source: gs://{self.spec.bucket}/{self.spec.object}", flush=True)

    def submit(self, deadline: float) -> Mapping[str, Any]:
        parent = f"projects/{self.spec.project}/locations/{self.spec.region}"
        body = {
            "storageSource": {"bucket": self.spec.bucket, "object": self.spec.object},
            "imageUri": self.spec.image,
            "buildpackBuild": {
                "baseImage": self.spec.base_image,
                "functionTarget": self.spec.function_target,
                "enableAutomaticUpdates": True,
            },
            "serviceAccount": self.spec.service_account,
            "tags": ["tokenvend", f"target-{self.spec.function_target}".replace("_", "-")],
        }
        answer = self._call(
            "submit the build",
            "POST",
            f"{self.endpoints['run']}/v2/{parent}/builds:submit",
            deadline,
            json=body,
        )
        warning = answer.get("baseImageWarning")
        if warning:
            print(f"warning from Cloud Run: {warning}", flush=True)
        used = answer.get("baseImageUri")
        if used and used != self.spec.base_image:
            print(f"note: Cloud Run builds on {used} (asked for {self.spec.base_image})")
        operation = answer.get("buildOperation")
        if not isinstance(operation, dict) or not operation.get("name"):
            raise BuildFailed(f"the build API answered without a build operation: {answer}")
        build = operation.get("metadata", {}).get("build", {})
        print(f"building {self.spec.image}; logs: {build.get('logUrl', 'n/a')}", flush=True)
        return operation

    def follow(self, operation: Mapping[str, Any], deadline: float) -> str:
        log_url = operation.get("metadata", {}).get("build", {}).get("logUrl", "n/a")
        while not operation.get("done"):
            if time.monotonic() + self.poll_seconds > deadline:
                raise BuildFailed(
                    f"the build did not finish within {self.spec.timeout_seconds} s "
                    f"(it may still finish); logs: {log_url}"
                )
            time.sleep(self.poll_seconds)
            operation = self._call(
                "follow the build",
                "GET",
                f"{self.endpoints['cloudbuild']}/v1/{operation['name']}",
                deadline,
            )
        if "error" in operation:
            message = operation["error"].get("message", operation["error"])
            raise BuildFailed(f"the build failed: {message}; logs: {log_url}")
        build = operation.get("response", {})
        if build.get("status") != "SUCCESS":
            detail = build.get("statusDetail") or build.get("failureInfo", {}).get("detail", "")
            raise BuildFailed(
                f"the build ended {build.get('status', 'without a status')}: {detail}; "
                f"logs: {build.get('logUrl', log_url)}"
            )
        images = build.get("results", {}).get("images", [])
        digest = str(images[0].get("digest", "")) if images else ""
        print(f"built {self.spec.image} {digest}".rstrip(), flush=True)
        return digest

    def _call(
        self,
        what: str,
        method: str,
        url: str,
        deadline: float,
        accept: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> Mapping[str, Any]:
        pause = 1.0
        while True:
            try:
                response = self.session.request(
                    method, url, timeout=REQUEST_TIMEOUT_SECONDS, **kwargs
                )
            except OSError as error:  # requests' ConnectionError and Timeout are OSErrors
                failure = f"cannot {what}: {type(error).__name__}"
            else:
                if response.status_code in accept:
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = {}
                    return answer if isinstance(answer, dict) else {}
                failure = f"cannot {what}: HTTP {response.status_code} {_api_message(response)}"
                if response.status_code not in RETRIED_STATUSES:
                    raise BuildFailed(failure)
            if time.monotonic() + pause > deadline:
                raise BuildFailed(failure)
            time.sleep(pause)
            pause = min(pause * 2, 30.0)


def _api_message(response: Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('status', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        return response.text[:200]


def endpoints(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        api: environ.get(variable, default).rstrip("/")
        for api, (variable, default) in ENDPOINT_VARIABLES.items()
    }


def session_for(urls: Mapping[str, str]) -> Session:
    """Plain HTTP for loopback test endpoints; Application Default Credentials otherwise."""
    try:
        import requests
    except ImportError:
        raise BuildFailed(_NEEDS_LIBRARIES) from None
    if all(url.startswith("http://") for url in urls.values()):
        return cast(Session, requests.Session())
    try:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError
        from google.auth.transport.requests import AuthorizedSession
    except ImportError:
        raise BuildFailed(_NEEDS_LIBRARIES) from None
    try:
        credentials, _ = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError:
        raise BuildFailed(
            "no Google Cloud credentials: run 'gcloud auth application-default login' "
            "(or set GOOGLE_APPLICATION_CREDENTIALS)"
        ) from None
    return cast(Session, AuthorizedSession(credentials))  # type: ignore[no-untyped-call]


_NEEDS_LIBRARIES = (
    "this build step needs Python with google-auth and requests: run it through "
    "`make deploy` (which uses the repository's .venv), or set the Terraform variable "
    "build_python to such an interpreter"
)


def main(environ: Mapping[str, str]) -> int:
    try:
        spec = Spec.from_json(environ.get(SPEC_VARIABLE, ""))
        urls = endpoints(environ)
        builder = Builder(
            spec, session_for(urls), urls, float(environ.get(POLL_VARIABLE, "5") or 5)
        )
        builder.run()
    except BuildFailed as error:
        print(f"tokenvend image build: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
