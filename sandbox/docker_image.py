"""Builds the Docker backend's runtime image locally, FROM scratch, with no registry.

No image can be pulled on our hosts, and a distribution base would only add attack surface, so
the image holds exactly: the host's Python (standard library only, no site-packages, no tests),
the host's node binary, the shared libraries `ldd` says they need, and the two runners. Paths
stay the same as on the host, so `interpreters.py` describes both backends. The tag is a hash of
those inputs: a changed runner or interpreter gives a new tag, and `ensure_image()` rebuilds.

CLI: `python -m sandbox build-image` (prints the tag).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import JailUnavailable
from .interpreters import JAIL_RUNNERS_DIR, RUNNERS_DIR, node_interpreter, python_interpreter

IMAGE_REPOSITORY = "zzyra-sandbox"
BUILDER_VERSION = "1"  # bump when the image layout below changes
EXCLUDED_STDLIB_DIRECTORIES = {
    "site-packages",
    "test",
    "tests",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
}
EXCLUDED_EXTENSION = re.compile(r"^(_tkinter|_test|_xx|xx|_ctypes_test|_curses|readline)")
DOCKERFILE = f"""FROM scratch
COPY rootfs/ /
USER 65534:65534
WORKDIR /tmp
ENTRYPOINT []
LABEL org.zzyra.sandbox.runners="{JAIL_RUNNERS_DIR}"
"""

_built: set[str] = set()
_build_lock = threading.Lock()


def image_tag() -> str:
    """`zzyra-sandbox:<hash>` of everything that goes into the image."""
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    python, node = python_interpreter(), node_interpreter()
    for path in (Path(python.executable), Path(node.executable)):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for runner in sorted(RUNNERS_DIR.iterdir()):
        if runner.is_file():
            digest.update(runner.name.encode() + runner.read_bytes())
    return f"{IMAGE_REPOSITORY}:{digest.hexdigest()[:16]}"


def ensure_image(client: Any = None) -> str:
    """The image tag, building the image first if the engine does not have it yet."""
    tag = image_tag()
    if tag in _built:
        return tag
    with _build_lock:
        if tag in _built:
            return tag
        client = client or _client()
        import docker.errors

        try:
            client.images.get(tag)
        except docker.errors.ImageNotFound:
            build_image(client, tag)
        _built.add(tag)
    return tag


def build_image(client: Any = None, tag: str | None = None) -> str:
    client = client or _client()
    tag = tag or image_tag()
    with tempfile.TemporaryDirectory(prefix="zzyra-sandbox-image-") as context:
        root = Path(context) / "rootfs"
        _populate_rootfs(root)
        (Path(context) / "Dockerfile").write_text(DOCKERFILE)
        import docker.errors

        try:
            client.images.build(path=context, tag=tag, rm=True, forcerm=True, pull=False)
        except (docker.errors.BuildError, docker.errors.APIError) as exc:
            raise JailUnavailable(f"building the sandbox image {tag} failed: {exc}") from exc
    return tag


def _client() -> Any:
    try:
        import docker
    except ImportError as exc:
        raise JailUnavailable("the docker package is not installed") from exc
    try:
        return docker.from_env(timeout=300)
    except docker.errors.DockerException as exc:
        raise JailUnavailable(f"no Docker engine: {exc}") from exc


def _populate_rootfs(root: Path) -> None:
    python, node = python_interpreter(), node_interpreter()
    prefix = Path(python.prefix)
    version = Path(python.executable).name  # e.g. python3.11
    binaries = [Path(python.executable), Path(node.executable)]
    for binary in binaries:
        _copy_file(binary, root)
    for library in (prefix / "lib").glob("libpython*.so*"):
        _copy_file(library, root)
    stdlib = prefix / "lib" / version
    extensions = []
    for source in _stdlib_files(stdlib):
        _copy_file(source, root)
        if source.suffix == ".so":
            extensions.append(source)
    for library in _shared_libraries([*binaries, *extensions]):
        _copy_file(library, root)
    runners = root / JAIL_RUNNERS_DIR.lstrip("/")
    runners.mkdir(parents=True, exist_ok=True)
    for runner in RUNNERS_DIR.iterdir():
        if runner.is_file():
            shutil.copyfile(runner, runners / runner.name)
    (root / "tmp").mkdir(mode=0o1777, exist_ok=True)
    for directory in ("proc", "dev", "etc"):
        (root / directory).mkdir(exist_ok=True)
    for dirpath, _, _ in os.walk(root):
        os.chmod(dirpath, 0o1777 if dirpath == str(root / "tmp") else 0o755)


def _stdlib_files(stdlib: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(stdlib):
        dirnames[:] = [d for d in dirnames if d not in EXCLUDED_STDLIB_DIRECTORIES]
        for name in filenames:
            if name.endswith(".so") and EXCLUDED_EXTENSION.match(name):
                continue
            yield Path(dirpath) / name


def _shared_libraries(binaries: list[Path]) -> set[Path]:
    needed: set[Path] = set()
    for binary in binaries:
        listing = subprocess.run(
            ["ldd", str(binary)], capture_output=True, text=True, check=False
        ).stdout
        for line in listing.splitlines():
            # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux... (0x...)"
            match = re.search(r"(/\S+) \(0x", line)
            if match:
                needed.add(Path(match.group(1)))
    return needed


def _copy_file(source: Path, root: Path) -> None:
    """Copy `source` to the same absolute path under `root`, following symlinks."""
    target = root / str(source).lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.resolve(), target)
    os.chmod(target, 0o755 if os.access(source, os.X_OK) else 0o644)
