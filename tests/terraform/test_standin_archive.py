"""The stand-in's archive_file builds the zip for real, as hashicorp/archive
does: the hashes and size it reports are those of the file it wrote."""

from __future__ import annotations

import base64
import hashlib
import pathlib
import zipfile

import pytest

from tests.terraform.standin.archive import ArchiveError, read_archive_file


def config(output: pathlib.Path, **extra: object) -> dict[str, object]:
    return {
        "type": "zip",
        "output_path": str(output),
        "output_file_mode": None,
        "source": [
            {"filename": "main.py", "content": "print('hi')\n"},
            {"filename": "policies/a.yaml", "content": "deploy: {public: true}\n"},
        ],
        **extra,
    }


def test_the_reported_hashes_and_size_are_the_written_zips(tmp_path: pathlib.Path) -> None:
    output = tmp_path / "build" / "source.zip"

    state = read_archive_file(config(output))

    data = output.read_bytes()
    assert state["output_size"] == len(data)
    assert state["output_sha256"] == hashlib.sha256(data).hexdigest()
    assert state["output_base64sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert state["output_md5"] == hashlib.md5(data).hexdigest()
    with zipfile.ZipFile(output) as archive:
        assert archive.namelist() == ["main.py", "policies/a.yaml"]
        assert archive.read("main.py") == b"print('hi')\n"


def test_the_same_content_gives_the_same_archive(tmp_path: pathlib.Path) -> None:
    first = read_archive_file(config(tmp_path / "1.zip"))
    second = read_archive_file(config(tmp_path / "2.zip"))
    assert first["output_sha256"] == second["output_sha256"]


def test_what_the_stand_in_does_not_build_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ArchiveError, match="only zip"):
        read_archive_file(config(tmp_path / "x.tgz", type="tar.gz"))
    with pytest.raises(ArchiveError, match="source_dir"):
        read_archive_file(config(tmp_path / "x.zip", source_dir=str(tmp_path)))
