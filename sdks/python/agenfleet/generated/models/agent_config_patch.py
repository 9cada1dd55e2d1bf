from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.gateway_patch import GatewayPatch
    from ..models.limits_patch import LimitsPatch
    from ..models.model_patch import ModelPatch
    from ..models.tools_patch import ToolsPatch


T = TypeVar("T", bound="AgentConfigPatch")


@_attrs_define
class AgentConfigPatch:
    """
    Attributes:
        gateway (GatewayPatch | None | Unset):
        limits (LimitsPatch | None | Unset):
        model (ModelPatch | None | Unset):
        tools (None | ToolsPatch | Unset):
    """

    gateway: GatewayPatch | None | Unset = UNSET
    limits: LimitsPatch | None | Unset = UNSET
    model: ModelPatch | None | Unset = UNSET
    tools: None | ToolsPatch | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.gateway_patch import GatewayPatch
        from ..models.limits_patch import LimitsPatch
        from ..models.model_patch import ModelPatch
        from ..models.tools_patch import ToolsPatch

        gateway: dict[str, Any] | None | Unset
        if isinstance(self.gateway, Unset):
            gateway = UNSET
        elif isinstance(self.gateway, GatewayPatch):
            gateway = self.gateway.to_dict()
        else:
            gateway = self.gateway

        limits: dict[str, Any] | None | Unset
        if isinstance(self.limits, Unset):
            limits = UNSET
        elif isinstance(self.limits, LimitsPatch):
            limits = self.limits.to_dict()
        else:
            limits = self.limits

        model: dict[str, Any] | None | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        elif isinstance(self.model, ModelPatch):
            model = self.model.to_dict()
        else:
            model = self.model

        tools: dict[str, Any] | None | Unset
        if isinstance(self.tools, Unset):
            tools = UNSET
        elif isinstance(self.tools, ToolsPatch):
            tools = self.tools.to_dict()
        else:
            tools = self.tools

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if gateway is not UNSET:
            field_dict["gateway"] = gateway
        if limits is not UNSET:
            field_dict["limits"] = limits
        if model is not UNSET:
            field_dict["model"] = model
        if tools is not UNSET:
            field_dict["tools"] = tools

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.gateway_patch import GatewayPatch
        from ..models.limits_patch import LimitsPatch
        from ..models.model_patch import ModelPatch
        from ..models.tools_patch import ToolsPatch

        d = dict(src_dict)

        def _parse_gateway(data: object) -> GatewayPatch | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                gateway_type_1 = GatewayPatch.from_dict(data)

                return gateway_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GatewayPatch | None | Unset, data)

        gateway = _parse_gateway(d.pop("gateway", UNSET))

        def _parse_limits(data: object) -> LimitsPatch | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                limits_type_1 = LimitsPatch.from_dict(data)

                return limits_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LimitsPatch | None | Unset, data)

        limits = _parse_limits(d.pop("limits", UNSET))

        def _parse_model(data: object) -> ModelPatch | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                model_type_1 = ModelPatch.from_dict(data)

                return model_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ModelPatch | None | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_tools(data: object) -> None | ToolsPatch | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                tools_type_1 = ToolsPatch.from_dict(data)

                return tools_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ToolsPatch | Unset, data)

        tools = _parse_tools(d.pop("tools", UNSET))

        agent_config_patch = cls(
            gateway=gateway,
            limits=limits,
            model=model,
            tools=tools,
        )

        return agent_config_patch
