"""Offline means offline: no hub, no telemetry, no usage statistics, in this process and its children.

Imported first by ``regioqa/__init__.py``, so it runs before any regioqa module imports openvino,
transformers, datasets or Ray.

- OpenVINO: ``import openvino`` imports its converter (``openvino.tools.ovc``), which starts
  ``openvino_telemetry``: a DNS lookup and an HTTPS post to an analytics host, and a client id under
  ``~/intel/``. The package decides by a consent file under the home folder (and the ``CI`` variable);
  it reads no opt-out variable. We mark ``openvino_telemetry`` as not importable
  (``sys.modules[...] = None``), so OpenVINO falls back to its own no-op stub: nothing sent, nothing
  written. If openvino was imported before regioqa, its telemetry is switched off from then on.
- Hugging Face (transformers, huggingface_hub, datasets): offline mode and no telemetry.
- Ray: no usage statistics. Ray workers get :data:`ENV` through ``runtime_env`` and import regioqa
  (hence this module) before anything else of ours.

>>> import os, sys
>>> os.environ["HF_HUB_OFFLINE"], sys.modules["openvino_telemetry"] is None or "openvino" in sys.modules
('1', True)
"""

from __future__ import annotations

import os
import sys

# Environment for this process and for child processes (Ray workers, subprocesses)
ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "DO_NOT_TRACK": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
}


def go_offline() -> None:
    """Apply the settings above to this process (idempotent)."""
    os.environ.update(ENV)
    if "openvino_telemetry" not in sys.modules:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]  # import -> ImportError
        return
    tm = sys.modules["openvino_telemetry"]
    if tm is not None:  # imported before us: stop sending from now on
        try:
            tm.Telemetry().consent = False
        except Exception:  # not initialised: nothing to stop
            pass


go_offline()
