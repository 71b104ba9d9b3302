"""The generated tfplugin6 protobuf module and the gRPC library, loaded lazily.

The generated code ships in the pyvider package (installed without its
dependencies into the stand-in's own virtual environment); it is loaded from its
file so pyvider's package __init__ (and its framework) is never imported. Both
modules are typed Any: the lint environment does not have them installed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pathlib
from typing import Any

PB2_IN_PYVIDER = pathlib.Path("protocols", "tfprotov6", "protobuf", "tfplugin6_pb2.py")


@functools.cache
def pb2() -> Any:
    spec = importlib.util.find_spec("pyvider")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyvider is not installed: run `make tf-plan` to build .venv-tfprovider")
    path = pathlib.Path(next(iter(spec.submodule_search_locations))) / PB2_IN_PYVIDER
    module_spec = importlib.util.spec_from_file_location("tfplugin6_pb2", path)
    if module_spec is None or module_spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def grpc() -> Any:
    return importlib.import_module("grpc")


def msgpack() -> Any:
    return importlib.import_module("msgpack")


def message_class(descriptor: Any) -> Any:
    """The Python class of a message descriptor (request and response types)."""
    factory = importlib.import_module("google.protobuf.message_factory")
    return factory.GetMessageClass(descriptor)
