"""Shared values and the recording ``connect_fn`` of the Snowflake integration tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelineops.config.model import SnowflakeConnection

DATABASE = "ANALYTICS_DB"
SETTINGS = SnowflakeConnection(account="acme-prod", user="CI_DEPLOYER", role="DEPLOYER", warehouse="CI_WH")
QUERY_TAG = {"repo": "acme/dw", "pr": "42", "run_id": "7", "stage": "bluegreen-swap"}


class RecordingConnect:
    """``connect_fn`` that records the keyword arguments and hands them to fakesnow's ``connect``."""

    def __init__(self, target: Callable[..., Any]) -> None:
        self.target = target
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self.target(**kwargs)
