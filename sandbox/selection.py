"""Picks the backend named by ZZYRA_SANDBOX_BACKEND (auto | nsjail | docker).

`auto` prefers Docker when an engine answers, else nsjail. When the chosen backend cannot work,
this raises JailUnavailable with every reason: there is no "run it unjailed" fallback, ever.
The choice is cached per settings value and dropped when a backend reports itself unavailable.
"""

from __future__ import annotations

import threading

from .backend import Backend
from .errors import JailUnavailable
from .settings import SandboxSettings

_lock = threading.Lock()
_chosen: dict[SandboxSettings, Backend] = {}


def make_backend(name: str, settings: SandboxSettings) -> Backend:
    if name == "nsjail":
        from .nsjail_backend import NsjailBackend

        return NsjailBackend(nsjail_path=settings.nsjail_path, cgroup_root=settings.cgroup_root)
    if name == "docker":
        from .docker_backend import DockerBackend

        return DockerBackend(image=settings.docker_image)
    raise ValueError(f"unknown sandbox backend {name!r}")


def select_backend(settings: SandboxSettings) -> Backend:
    with _lock:
        cached = _chosen.get(settings)
        if cached is not None:
            return cached
        candidates = ["docker", "nsjail"] if settings.backend == "auto" else [settings.backend]
        reasons: list[str] = []
        for name in candidates:
            backend = make_backend(name, settings)
            try:
                backend.check()
            except JailUnavailable as exc:
                reasons.append(f"{name}: {exc.message}")
                continue
            _chosen[settings] = backend
            return backend
        raise JailUnavailable(
            "no sandbox backend works on this host, so the code was not run ("
            + "; ".join(reasons)
            + ")"
        )


def forget_backend(settings: SandboxSettings) -> None:
    with _lock:
        _chosen.pop(settings, None)
