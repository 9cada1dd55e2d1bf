"""Contains all the data models used in inputs/outputs"""

from .activity_entry import ActivityEntry
from .activity_list import ActivityList
from .activity_ref import ActivityRef
from .actor_type import ActorType
from .agent import Agent
from .agent_config import AgentConfig
from .agent_config_patch import AgentConfigPatch
from .agent_list import AgentList
from .agent_metrics import AgentMetrics
from .agent_metrics_series import AgentMetricsSeries
from .agent_patch import AgentPatch
from .agent_status import AgentStatus
from .agent_status_counts import AgentStatusCounts
from .api_key import ApiKey
from .api_key_list import ApiKeyList
from .assistant_message_request import AssistantMessageRequest
from .assistant_message_request_role import AssistantMessageRequestRole
from .attempt_view import AttemptView
from .create_agent_request import CreateAgentRequest
from .create_cron_job_request import CreateCronJobRequest
from .create_key_request import CreateKeyRequest
from .create_session_request import CreateSessionRequest
from .create_webhook_request import CreateWebhookRequest
from .cron_delivery_type_0 import CronDeliveryType0
from .cron_delivery_type_0_type import CronDeliveryType0Type
from .cron_delivery_type_1 import CronDeliveryType1
from .cron_delivery_type_1_type import CronDeliveryType1Type
from .cron_delivery_type_2 import CronDeliveryType2
from .cron_delivery_type_2_type import CronDeliveryType2Type
from .cron_delivery_type_3 import CronDeliveryType3
from .cron_delivery_type_3_type import CronDeliveryType3Type
from .cron_delivery_type_4 import CronDeliveryType4
from .cron_delivery_type_4_type import CronDeliveryType4Type
from .cron_job import CronJob
from .cron_job_list import CronJobList
from .cron_job_patch import CronJobPatch
from .cron_run import CronRun
from .cron_run_list import CronRunList
from .delivery import Delivery
from .delivery_list import DeliveryList
from .delivery_status import DeliveryStatus
from .error_body import ErrorBody
from .error_detail import ErrorDetail
from .gateway_config import GatewayConfig
from .gateway_patch import GatewayPatch
from .granularity import Granularity
from .heartbeat_request import HeartbeatRequest
from .heartbeat_state import HeartbeatState
from .latency_percentiles import LatencyPercentiles
from .limits_config import LimitsConfig
from .limits_patch import LimitsPatch
from .message import Message
from .message_counts import MessageCounts
from .message_list import MessageList
from .message_role import MessageRole
from .message_usage import MessageUsage
from .metrics_agent_list import MetricsAgentList
from .metrics_bucket import MetricsBucket
from .metrics_summary import MetricsSummary
from .model import Model
from .model_config import ModelConfig
from .model_cost import ModelCost
from .model_list import ModelList
from .model_patch import ModelPatch
from .overlap_policy import OverlapPolicy
from .pagination import Pagination
from .provider_cost import ProviderCost
from .prune_result import PruneResult
from .prune_sessions_request import PruneSessionsRequest
from .replay_request import ReplayRequest
from .replay_result import ReplayResult
from .run_delivery_status import RunDeliveryStatus
from .run_status import RunStatus
from .scope import Scope
from .session import Session
from .session_counts import SessionCounts
from .session_list import SessionList
from .session_origin import SessionOrigin
from .session_status import SessionStatus
from .sort_order import SortOrder
from .soul_request import SoulRequest
from .test_result import TestResult
from .token_counts import TokenCounts
from .tool_call import ToolCall
from .tool_call_status import ToolCallStatus
from .tools_config import ToolsConfig
from .tools_patch import ToolsPatch
from .usage_report import UsageReport
from .user_message_request import UserMessageRequest
from .user_message_request_role import UserMessageRequestRole
from .verification import Verification
from .webhook import Webhook
from .webhook_event_filter import WebhookEventFilter
from .webhook_list import WebhookList
from .webhook_patch import WebhookPatch

__all__ = (
    "ActivityEntry",
    "ActivityList",
    "ActivityRef",
    "ActorType",
    "Agent",
    "AgentConfig",
    "AgentConfigPatch",
    "AgentList",
    "AgentMetrics",
    "AgentMetricsSeries",
    "AgentPatch",
    "AgentStatus",
    "AgentStatusCounts",
    "ApiKey",
    "ApiKeyList",
    "AssistantMessageRequest",
    "AssistantMessageRequestRole",
    "AttemptView",
    "CreateAgentRequest",
    "CreateCronJobRequest",
    "CreateKeyRequest",
    "CreateSessionRequest",
    "CreateWebhookRequest",
    "CronDeliveryType0",
    "CronDeliveryType0Type",
    "CronDeliveryType1",
    "CronDeliveryType1Type",
    "CronDeliveryType2",
    "CronDeliveryType2Type",
    "CronDeliveryType3",
    "CronDeliveryType3Type",
    "CronDeliveryType4",
    "CronDeliveryType4Type",
    "CronJob",
    "CronJobList",
    "CronJobPatch",
    "CronRun",
    "CronRunList",
    "Delivery",
    "DeliveryList",
    "DeliveryStatus",
    "ErrorBody",
    "ErrorDetail",
    "GatewayConfig",
    "GatewayPatch",
    "Granularity",
    "HeartbeatRequest",
    "HeartbeatState",
    "LatencyPercentiles",
    "LimitsConfig",
    "LimitsPatch",
    "Message",
    "MessageCounts",
    "MessageList",
    "MessageRole",
    "MessageUsage",
    "MetricsAgentList",
    "MetricsBucket",
    "MetricsSummary",
    "Model",
    "ModelConfig",
    "ModelCost",
    "ModelList",
    "ModelPatch",
    "OverlapPolicy",
    "Pagination",
    "ProviderCost",
    "PruneResult",
    "PruneSessionsRequest",
    "ReplayRequest",
    "ReplayResult",
    "RunDeliveryStatus",
    "RunStatus",
    "Scope",
    "Session",
    "SessionCounts",
    "SessionList",
    "SessionOrigin",
    "SessionStatus",
    "SortOrder",
    "SoulRequest",
    "TestResult",
    "TokenCounts",
    "ToolCall",
    "ToolCallStatus",
    "ToolsConfig",
    "ToolsPatch",
    "UsageReport",
    "UserMessageRequest",
    "UserMessageRequestRole",
    "Verification",
    "Webhook",
    "WebhookEventFilter",
    "WebhookList",
    "WebhookPatch",
)
