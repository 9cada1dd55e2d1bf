from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.gateway_config import GatewayConfig
    from ..models.limits_config import LimitsConfig
    from ..models.model_config import ModelConfig
    from ..models.tools_config import ToolsConfig


T = TypeVar("T", bound="AgentConfig")


@_attrs_define
class AgentConfig:
    """`config` of an agent, with every default filled in.

    Attributes:
        limits (LimitsConfig):
        model (ModelConfig):
        tools (ToolsConfig):
        gateway (GatewayConfig | None | Unset):
    """

    limits: LimitsConfig
    model: ModelConfig
    tools: ToolsConfig
    gateway: GatewayConfig | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.gateway_config import GatewayConfig

        limits = self.limits.to_dict()

        model = self.model.to_dict()

        tools = self.tools.to_dict()

        gateway: dict[str, Any] | None | Unset
        if isinstance(self.gateway, Unset):
            gateway = UNSET
        elif isinstance(self.gateway, GatewayConfig):
            gateway = self.gateway.to_dict()
        else:
            gateway = self.gateway

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "limits": limits,
                "model": model,
                "tools": tools,
            }
        )
        if gateway is not UNSET:
            field_dict["gateway"] = gateway

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.gateway_config import GatewayConfig
        from ..models.limits_config import LimitsConfig
        from ..models.model_config import ModelConfig
        from ..models.tools_config import ToolsConfig

        d = dict(src_dict)
        limits = LimitsConfig.from_dict(d.pop("limits"))

        model = ModelConfig.from_dict(d.pop("model"))

        tools = ToolsConfig.from_dict(d.pop("tools"))

        def _parse_gateway(data: object) -> GatewayConfig | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                gateway_type_1 = GatewayConfig.from_dict(data)

                return gateway_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GatewayConfig | None | Unset, data)

        gateway = _parse_gateway(d.pop("gateway", UNSET))

        agent_config = cls(
            limits=limits,
            model=model,
            tools=tools,
            gateway=gateway,
        )

        agent_config.additional_properties = d
        return agent_config

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
