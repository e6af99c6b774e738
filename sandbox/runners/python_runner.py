"""Runs INSIDE the jail: loads the user's code, calls `main(input)`, reports one result.

Standard library only and no import of the `sandbox` package: the jail has nothing else.
Protocol (see sandbox/protocol.py): a JSON request on stdin (`code`, `input`, `marker`,
`max_output_bytes`); the user's prints go to stdout/stderr as they are; at the end one line
"\\n<marker>\\n" and a JSON result go to stdout, then the process exits at once.

This file is NOT a security boundary: the user's code runs in this same process and could forge
or skip the result. The jail around it is the boundary; a forged result only lies about the
user's own run.
"""

import io
import json
import linecache
import os
import sys

# asyncio, inspect and traceback cost tens of milliseconds to import: only loaded when needed.

USER_FILENAME = "user_code.py"
MAX_TEXT = 64 * 1024
_write = os.write
_dumps = json.dumps
_pid = os.getpid()


def _clip(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + f"\n[... {len(text) - MAX_TEXT} more characters not shown]"


def _finish(marker: bytes, payload: dict) -> None:
    if os.getpid() != _pid:
        # A forked child of the user's code must never report a result.
        os._exit(1)
    try:
        data = _dumps(payload, ensure_ascii=False).encode("utf-8", "replace")
    except Exception as exc:  # a payload we built ourselves: only odd strings can break it
        data = _dumps({"status": "error", "kind": "crashed", "message": repr(exc)}).encode()
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 (contextlib would add import time to every run)
            stream.flush()
        except Exception:
            pass
    frame = b"\n" + marker + b"\n" + data
    while frame:
        frame = frame[_write(1, frame) :]
    os._exit(0)


def _user_traceback(exc: BaseException) -> str:
    tb = exc.__traceback__
    # Drop the runner's own frames: the user sees their code first.
    while tb is not None and tb.tb_frame.f_code.co_filename != USER_FILENAME:
        tb = tb.tb_next
    import traceback

    return _clip("".join(traceback.format_exception(type(exc), exc, tb)))


def _exception_payload(exc: BaseException) -> dict:
    return {
        "status": "error",
        "kind": "user_exception",
        "exception_type": type(exc).__name__,
        "message": _clip(f"{type(exc).__name__}: {exc}"),
        "traceback": _user_traceback(exc),
    }


async def _await(value):
    return await value


def _run(request: dict) -> dict:
    code = request["code"]
    linecache.cache[USER_FILENAME] = (len(code), None, code.splitlines(True), USER_FILENAME)
    namespace = {"__name__": "__main__", "__file__": USER_FILENAME, "__builtins__": __builtins__}
    try:
        exec(compile(code, USER_FILENAME, "exec"), namespace)
        main = namespace.get("main")
        if not callable(main):
            return {
                "status": "error",
                "kind": "user_exception",
                "exception_type": "NameError",
                "message": "the code must define a function main(input)",
                "traceback": "",
            }
        value = main(request["input"])
        if hasattr(type(value), "__await__"):
            import asyncio

            value = asyncio.run(_await(value))
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are the user's too
        return _exception_payload(exc)
    try:
        text = _dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return {
            "status": "error",
            "kind": "non_json_output",
            "message": _clip(
                f"main() returned a {type(value).__name__}, which is not JSON-serialisable: {exc}"
            ),
        }
    size = len(text.encode("utf-8", "replace"))
    if size > request["max_output_bytes"]:
        return {
            "status": "error",
            "kind": "output_too_large",
            "message": f"main() returned {size} bytes of JSON; "
            f"the limit is {request['max_output_bytes']} bytes",
        }
    return {"status": "ok", "output": value}


def _main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    try:
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    except OSError:
        os.close(0)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Line by line, so what was printed before a kill (OOM, timeout) is not lost.
        sys.stdout.reconfigure(line_buffering=True)
    marker = request["marker"].encode()
    _finish(marker, _run(request))


if __name__ == "__main__":
    _main()
