"""The archive_file data source, for real: the zip is written to output_path and
its size and hashes are returned, as hashicorp/archive does.

Only what this repository's configuration uses is supported (type "zip" with
source blocks, source_content or source_file); the rest is refused with a
diagnostic rather than silently ignored.
"""

from __future__ import annotations

import base64
import hashlib
import pathlib
import zipfile
from typing import Any

# Fixed timestamps keep the archive, and so its hash, a function of the content.
ZIP_DATE = (2049, 1, 1, 0, 0, 0)


class ArchiveError(Exception):
    """The configuration asks for something the stand-in does not build."""


def _entries(config: dict[str, Any]) -> list[tuple[str, bytes]]:
    entries: list[tuple[str, bytes]] = []
    for source in config.get("source") or []:
        entries.append((source["filename"], source["content"].encode()))
    if config.get("source_content") is not None:
        name = config.get("source_content_filename")
        if not name:
            raise ArchiveError("source_content needs source_content_filename")
        entries.append((name, config["source_content"].encode()))
    if config.get("source_file") is not None:
        path = pathlib.Path(config["source_file"])
        entries.append((path.name, path.read_bytes()))
    if config.get("source_dir") is not None:
        raise ArchiveError("the stand-in does not archive source_dir; use source blocks")
    if not entries:
        raise ArchiveError("one of source, source_content or source_file is required")
    return sorted(entries)


def read_archive_file(config: dict[str, Any]) -> dict[str, Any]:
    """The data source's state: config plus the built archive's size and hashes."""
    if config.get("type") != "zip":
        raise ArchiveError(f"archive type {config.get('type')!r} is not supported, only zip")
    output = pathlib.Path(config["output_path"])
    output.parent.mkdir(parents=True, exist_ok=True)
    mode = int(config.get("output_file_mode") or "0644", 8)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in _entries(config):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    data = output.read_bytes()
    sha256 = hashlib.sha256(data)
    sha512 = hashlib.sha512(data)
    sha1 = hashlib.sha1(data).hexdigest()  # output_sha is SHA-1 by definition
    return {
        **config,
        "id": sha1,
        "output_size": len(data),
        "output_md5": hashlib.md5(data).hexdigest(),  # as the real provider
        "output_sha": sha1,
        "output_sha256": sha256.hexdigest(),
        "output_base64sha256": base64.b64encode(sha256.digest()).decode(),
        "output_sha512": sha512.hexdigest(),
        "output_base64sha512": base64.b64encode(sha512.digest()).decode(),
    }
