"""The tfplugin6.Provider calls the stand-in answers, one method per RPC.

Type checking (unknown arguments, blocks written as attributes, wrong types,
missing required arguments) is Terraform's own, done against the schema served
here; the provider adds no validation of its own. Apply is refused: the
stand-in only ever plans.
"""

# Method names are the protocol's RPC names (gRPC dispatches on them).
# ruff: noqa: N802

from __future__ import annotations

import json
from typing import Any

from tests.terraform.standin.archive import ArchiveError, read_archive_file
from tests.terraform.standin.planning import conform, fill_data_source, mark_computed_unknown
from tests.terraform.standin.protocol import pb2
from tests.terraform.standin.schemas import (
    data_source_block,
    provider_json,
    provider_schema_response,
    resource_block,
)
from tests.terraform.standin.values import decode, encode


def _error(summary: str, detail: str = "") -> Any:
    return pb2().Diagnostic(severity=pb2().Diagnostic.ERROR, summary=summary, detail=detail)


class StandInProvider:
    """Answers for one provider name (google, archive or time)."""

    def __init__(self, name: str) -> None:
        self.name = name
        # SDKv2 providers (google) plan with the legacy type system; archive and
        # time are plugin-framework providers and are held to the strict rules.
        self.legacy = name == "google"

    def GetMetadata(self, request: Any, context: Any) -> Any:
        data = provider_json(self.name)
        messages = pb2().GetMetadata
        return messages.Response(
            server_capabilities=pb2().ServerCapabilities(plan_destroy=True),
            resources=[
                messages.ResourceMetadata(type_name=t) for t in sorted(data["resource_schemas"])
            ],
            data_sources=[
                messages.DataSourceMetadata(type_name=t)
                for t in sorted(data["data_source_schemas"])
            ],
        )

    def GetProviderSchema(self, request: Any, context: Any) -> Any:
        return provider_schema_response(self.name)

    def GetResourceIdentitySchemas(self, request: Any, context: Any) -> Any:
        return pb2().GetResourceIdentitySchemas.Response()

    def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb2().GetFunctions.Response()

    def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        return pb2().ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        return pb2().ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        return pb2().ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> Any:
        return pb2().ConfigureProvider.Response()

    def StopProvider(self, request: Any, context: Any) -> Any:
        return pb2().StopProvider.Response()

    def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        block = resource_block(self.name, request.type_name)
        stored = json.loads(request.raw_state.json) if request.raw_state.json else None
        return pb2().UpgradeResourceState.Response(
            upgraded_state=pb2().DynamicValue(msgpack=encode(conform(block, stored)))
        )

    def ReadResource(self, request: Any, context: Any) -> Any:
        return pb2().ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request: Any, context: Any) -> Any:
        proposed = decode(request.proposed_new_state)
        if proposed is None:  # destroy
            planned = None
        else:
            planned = mark_computed_unknown(resource_block(self.name, request.type_name), proposed)
        return pb2().PlanResourceChange.Response(
            planned_state=pb2().DynamicValue(msgpack=encode(planned)),
            planned_private=request.prior_private,
            legacy_type_system=self.legacy,
        )

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        return pb2().ApplyResourceChange.Response(
            diagnostics=[
                _error(
                    "The stand-in provider cannot apply",
                    f"{self.name} is the offline stand-in used by `make tf-plan`: it plans only.",
                )
            ]
        )

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        config = decode(request.config)
        response = pb2().ReadDataSource.Response()
        if request.type_name == "archive_file":
            try:
                state = read_archive_file(config)
            except (ArchiveError, OSError) as exc:
                response.diagnostics.append(_error("Archive creation error", str(exc)))
                return response
        else:
            state = fill_data_source(data_source_block(self.name, request.type_name), config)
        response.state.CopyFrom(pb2().DynamicValue(msgpack=encode(state)))
        return response
