"""go-plugin's side of the handshake, and the gRPC server behind it.

Terraform starts the executable with TF_PLUGIN_MAGIC_COOKIE and
PLUGIN_PROTOCOL_VERSIONS set and reads one line on stdout:
`1|6|tcp|127.0.0.1:PORT|grpc|<base64 DER certificate>`. Besides
tfplugin6.Provider the server answers go-plugin's own services (controller
Shutdown, stdio stream, health). TLS is served without client authentication:
grpcio's TLS library cannot use the P-521 client certificate Terraform presents.
"""

from __future__ import annotations

import base64
import os
import sys
import threading
from typing import Any

from tests.terraform.standin.protocol import grpc, message_class, pb2
from tests.terraform.standin.provider import StandInProvider
from tests.terraform.standin.tls import self_signed

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
PROTOCOL_VERSION = "6"
# grpc.health.v1.HealthCheckResponse{status: SERVING}, serialized by hand.
HEALTH_SERVING = b"\x08\x01"


def _provider_handler(provider: StandInProvider) -> Any:
    service = pb2().DESCRIPTOR.services_by_name["Provider"]
    handlers = {}
    for method in service.methods:
        implementation = getattr(provider, method.name, None)
        if implementation is None or method.client_streaming or method.server_streaming:
            continue  # gRPC answers UNIMPLEMENTED
        handlers[method.name] = grpc().unary_unary_rpc_method_handler(
            implementation,
            request_deserializer=message_class(method.input_type).FromString,
            response_serializer=message_class(method.output_type).SerializeToString,
        )
    return grpc().method_handlers_generic_handler("tfplugin6.Provider", handlers)


def _plugin_handlers(stopped: threading.Event) -> list[Any]:
    def same(data: bytes) -> bytes:
        return data

    def shutdown(request: bytes, context: Any) -> bytes:
        stopped.set()
        return b""  # google.protobuf.Empty

    def stdio(request: bytes, context: Any) -> Any:
        return iter(())  # nothing is forwarded: the provider logs on stderr

    def health(request: bytes, context: Any) -> bytes:
        return HEALTH_SERVING

    def unary(function: Any) -> Any:
        return grpc().unary_unary_rpc_method_handler(
            function, request_deserializer=same, response_serializer=same
        )

    return [
        grpc().method_handlers_generic_handler(
            "plugin.GRPCController", {"Shutdown": unary(shutdown)}
        ),
        grpc().method_handlers_generic_handler(
            "plugin.GRPCStdio",
            {
                "StreamStdio": grpc().unary_stream_rpc_method_handler(
                    stdio, request_deserializer=same, response_serializer=same
                )
            },
        ),
        grpc().method_handlers_generic_handler("grpc.health.v1.Health", {"Check": unary(health)}),
    ]


def serve(name: str) -> int:
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "This is the stand-in Terraform provider used by `make tf-plan`; "
            "Terraform starts it, it is not meant to be run by hand.",
            file=sys.stderr,
        )
        return 1
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", PROTOCOL_VERSION).split(",")
    if PROTOCOL_VERSION not in versions:
        print(f"Terraform asks for protocol {versions}; the stand-in speaks 6.", file=sys.stderr)
        return 1

    stopped = threading.Event()
    server = grpc().server(_thread_pool())
    server.add_generic_rpc_handlers([_provider_handler(StandInProvider(name))])
    server.add_generic_rpc_handlers(_plugin_handlers(stopped))

    certificate = ""
    if os.environ.get("PLUGIN_CLIENT_CERT"):
        key_pem, cert_pem, cert_der = self_signed()
        credentials = grpc().ssl_server_credentials([(key_pem, cert_pem)])
        port = server.add_secure_port("127.0.0.1:0", credentials)
        certificate = base64.b64encode(cert_der).decode().rstrip("=")
    else:  # TF_DISABLE_PLUGIN_TLS=1
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"1|{PROTOCOL_VERSION}|tcp|127.0.0.1:{port}|grpc|{certificate}", flush=True)
    stopped.wait()
    # The Shutdown answer is already on its way; nothing else is in flight.
    server.stop(grace=None)
    return 0


def _thread_pool() -> Any:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=8)
