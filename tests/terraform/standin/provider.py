"""The tfplugin6.Provider calls the stand-in answers, one method per RPC.

Type checking (unknown arguments, blocks written as attributes, wrong types,
missing required arguments) is Terraform's own, done against the schema served
here; the provider adds no validation of its own. Apply stores what was planned,
with the values the plan left unknown made known (``apimodel.py``), and a refresh
reads the stored state back, so a second plan shows what a real second plan would
(within what ``apimodel.py`` models of the real API).
"""

# Method names are the protocol's RPC names (gRPC dispatches on them).
# ruff: noqa: N802

from __future__ import annotations

import json
from typing import Any

from tests.terraform.standin.apimodel import applied, replaced_attributes, suppress_diffs
from tests.terraform.standin.planning import conform, fill_data_source, mark_computed_unknown
from tests.terraform.standin.protocol import pb2
from tests.terraform.standin.schemas import (
    data_source_block,
    provider_json,
    provider_schema_response,
    resource_block,
)
from tests.terraform.standin.values import decode, encode


class StandInProvider:
    """Answers for one provider name (google or time)."""

    def __init__(self, name: str) -> None:
        self.name = name
        # SDKv2 providers (google) plan with the legacy type system; time is a
        # plugin-framework provider and is held to the strict rules.
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
        prior = decode(request.prior_state)
        response = pb2().PlanResourceChange.Response(
            planned_private=request.prior_private, legacy_type_system=self.legacy
        )
        if proposed is None:  # destroy
            planned = None
        else:
            block = resource_block(self.name, request.type_name)
            planned = suppress_diffs(
                request.type_name, prior, mark_computed_unknown(block, proposed)
            )
            for name in replaced_attributes(request.type_name, prior, planned):
                path = response.requires_replace.add()
                path.steps.add(attribute_name=name)
            if len(response.requires_replace):
                # A replacement starts afresh: what the old one computed is gone.
                planned = mark_computed_unknown(block, {**planned, "id": None})
        response.planned_state.CopyFrom(pb2().DynamicValue(msgpack=encode(planned)))
        return response

    def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        planned = decode(request.planned_state)
        if planned is not None:
            block = resource_block(self.name, request.type_name)
            planned = applied(request.type_name, block, planned)
        return pb2().ApplyResourceChange.Response(
            new_state=pb2().DynamicValue(msgpack=encode(planned)),
            private=request.planned_private,
            legacy_type_system=self.legacy,
        )

    def ReadDataSource(self, request: Any, context: Any) -> Any:
        config = decode(request.config)
        state = fill_data_source(data_source_block(self.name, request.type_name), config)
        response = pb2().ReadDataSource.Response()
        response.state.CopyFrom(pb2().DynamicValue(msgpack=encode(state)))
        return response
