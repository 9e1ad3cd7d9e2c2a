"""MockBackend whose resources are read from a JSON file named in the offering's backend_settings.

backend_settings:
  resources_file: path to {"resources": [{"backend_id", "parent_id", "limits"}, ...],
                  "fail_with": "<message>"}; read on every call, so a test can change what the
                  backend holds between two scans without restarting the agent.
  fail_with:      a message; when set here or in the file, list_resources() raises BackendError
                  with it, which the agent reports as the scan's error_message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from waldur_site_agent.backend.exceptions import BackendError
from waldur_site_agent.backend.structures import BackendResourceInfo
from waldur_site_agent.testing.mock_backend import MockBackend


class FileBackend(MockBackend):
    """The agent's MockBackend, filled from `backend_settings["resources_file"]`."""

    def __init__(
        self,
        backend_settings: dict[str, Any] | None = None,
        backend_components: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Initialise like MockBackend; resources are loaded when asked for."""
        super().__init__(backend_settings, backend_components, **kwargs)
        self.backend_type = "console-file"

    def _read_file(self) -> dict[str, Any]:
        path = self.backend_settings.get("resources_file")
        if not path:
            return {}
        return json.loads(Path(path).read_text(encoding="utf-8"))

    def _load(self, *, honour_failure: bool) -> None:
        data = self._read_file()
        message = self.backend_settings.get("fail_with") or data.get("fail_with")
        if honour_failure and message:
            raise BackendError(message)
        self._created_resources = {
            item["backend_id"]: BackendResourceInfo(
                backend_id=item["backend_id"],
                parent_id=item.get("parent_id", ""),
                limits=dict(item.get("limits", {})),
            )
            for item in data.get("resources", [])
        }

    def list_resources(self) -> list[BackendResourceInfo]:
        """Return the resources the file holds now, or raise the configured failure."""
        self._load(honour_failure=True)
        return super().list_resources()

    def get_resource_limits(self, backend_id: str) -> dict[str, Any]:
        """Return the limits the file gives for one resource ({} if it has none)."""
        self._load(honour_failure=False)
        return super().get_resource_limits(backend_id)
