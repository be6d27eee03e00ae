"""Run a scorer in a separate process with a CPU-time, a wall-clock and a memory limit and no network.

How the isolation works (Linux):
- the child is a fresh ``python -I -m moli.events.sandbox WORKDIR`` with an empty environment
  (no database URL, no secrets), in its own session so the whole group can be killed;
- the child limits itself (``resource.setrlimit``: ``RLIMIT_AS`` = memory, ``RLIMIT_CPU`` = time)
  before any scorer code is imported; the parent kills it at the wall-clock limit;
- no network, two layers: when ``unshare -n`` works (root or user namespaces) the child runs in a
  fresh network namespace with no interfaces up; in every case the child installs an audit hook
  (PEP 578) that refuses socket creation, ctypes loading and process spawning before it imports
  the scorer, so a scorer that opens a socket fails even where namespaces are unavailable.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BLOCKED_EVENTS = frozenset({
    "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
    "ctypes.dlopen", "ctypes.dlsym", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
    "os.spawn", "os.fork", "os.forkpty", "pty.spawn",
})


class ScoringFailed(Exception):
    """The scorer crashed, looped, ran out of memory or returned nonsense."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass
class Limits:
    time_s: float = 60.0
    memory_mb: int = 1024
    use_netns: bool | None = None  # None: when available
    audit_hook: bool = True


@lru_cache(maxsize=1)
def netns_available() -> bool:
    """True when ``unshare -n`` can create a network namespace here."""
    exe = shutil.which("unshare")
    if not exe:
        return False
    try:
        return subprocess.run([exe, "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def run_scorer(metric: str, competition_id: str, public_fraction: float, answers: dict[str, str],
               predictions: dict[str, str], *, limits: Limits | None = None,
               scorer_source: str | None = None, mask: list[bool] | None = None) -> dict:
    """Score in the sandbox; returns ``{"public_score", "private_score", "n_public", "n_private",
    "seconds", "netns"}`` or raises ScoringFailed with the reason."""
    limits = limits or Limits()
    use_netns = netns_available() if limits.use_netns is None else limits.use_netns
    if mask is None:
        from moli.events.scoring import public_mask

        mask = public_mask(competition_id, list(answers), public_fraction)
    with tempfile.TemporaryDirectory(prefix="moli-score-") as tmp:
        work = Path(tmp)
        if scorer_source is not None and metric.startswith("custom:"):
            module = metric.split(":")[1]
            target = work / "scorer" / (module.replace(".", "/") + ".py")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(scorer_source, encoding="utf-8")
        payload = {
            "metric": metric, "competition_id": competition_id, "public_fraction": public_fraction,
            # aligned lists serialise faster than dicts; the public mask is precomputed (cached by the service)
            "ids": list(answers) if metric.startswith("custom:") else None, "labels": list(answers.values()),
            "predictions": [predictions.get(k, "") for k in answers],
            "mask": "".join("1" if m else "0" for m in mask) if mask is not None else None,
            "memory_mb": limits.memory_mb,
            "cpu_s": limits.time_s, "audit_hook": limits.audit_hook,
        }
        (work / "input.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        cmd = [sys.executable, "-I", "-m", "moli.events.sandbox", str(work)]
        if use_netns:
            cmd = [shutil.which("unshare") or "unshare", "-n", *cmd]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=limits.time_s + 1.0)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ScoringFailed(f"评分超时（超过 {limits.time_s:g} 秒），已终止",
                                f"the scorer timed out (over {limits.time_s:g} s) and was stopped") from None
        seconds = time.perf_counter() - t0
        result_file = work / "result.json"
        try:
            result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            result = None  # killed before (or while) writing: handled as a crash below
    if result and "error" in result:
        if result.get("kind") == "memory":
            raise ScoringFailed(f"评分程序内存超限（{limits.memory_mb} MB）",
                                f"the scorer exceeded its memory limit ({limits.memory_mb} MB)")
        raise ScoringFailed(f"评分程序出错：{result['error']}", f"the scorer failed: {result['error']}")
    if proc.returncode != 0 or not result:
        rc = proc.returncode
        if rc in (-signal.SIGXCPU, -signal.SIGKILL):
            raise ScoringFailed(f"评分程序超过 CPU 时间限制（{limits.time_s:g} 秒），已终止",
                                f"the scorer exceeded its CPU time limit ({limits.time_s:g} s) and was stopped")
        tail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {rc}"]
        raise ScoringFailed(f"评分程序异常退出：{tail[0][:300]}", f"the scorer crashed: {tail[0][:300]}")
    result["seconds"] = round(seconds, 4)
    result["netns"] = use_netns
    return result


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


_READ_ROOTS: tuple[str, ...] = ()


def _audit(event: str, args) -> None:
    if event in BLOCKED_EVENTS:
        raise PermissionError(f"sandbox: '{event}' is not allowed while scoring (no network, no processes)")
    if event == "open":
        path, mode = args[0], args[1]
        if isinstance(path, int) or path is None:
            return
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            raise PermissionError("sandbox: writing files is not allowed while scoring")
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND):
            raise PermissionError("sandbox: writing files is not allowed while scoring")
        full = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(path)))
        if not any(full == root or full.startswith(root + os.sep) for root in _READ_ROOTS):
            raise PermissionError(f"sandbox: reading {full} is not allowed while scoring")


def _redact(message: str, payload: dict) -> str:
    """The failure reason is shown to participants: blank out any hidden label (2+ characters;
    one-character class names are public) and any test id a scorer put into its error message."""
    if len(message) > 5000:
        message = message[:5000]
    secrets = {x for x in payload.get("labels") or [] if isinstance(x, str) and len(x) >= 2}
    secrets |= {x for x in payload.get("ids") or [] if isinstance(x, str) and len(x) >= 2}
    for item in sorted((x for x in secrets if x in message), key=len, reverse=True):
        message = message.replace(item, "***")
    return message


def _child(workdir: str) -> int:
    import resource

    work = Path(workdir)
    payload = json.loads((work / "input.json").read_text(encoding="utf-8"))
    mem = int(payload["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(float(payload["cpu_s"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    result_fh = None

    def write(obj: dict) -> None:
        text = json.dumps(obj, ensure_ascii=False)
        if result_fh is not None:  # opened before the audit hook forbade writing
            result_fh.write(text)
            result_fh.close()
        else:
            (work / "result.json").write_text(text, encoding="utf-8")

    try:
        import moli.text.metrics  # noqa: F401  (numpy: imported before the hook, it loads C code via ctypes)
        from moli.events import scoring

        if payload["metric"].startswith("custom:"):
            sys.path.insert(0, str(work / "scorer"))
        if payload.get("audit_hook", True):
            global _READ_ROOTS
            # reads only from Python's own files, installed packages and the scorer's folder
            roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(work / "scorer"), *sys.path}
            _READ_ROOTS = tuple(sorted({os.path.normpath(r) for r in roots if r and os.path.isabs(r)}))
            result_fh = open(work / "result.json", "w", encoding="utf-8")  # noqa: SIM115  (before the hook)
            sys.addaudithook(_audit)
        ids = payload["ids"]
        mask = [c == "1" for c in payload["mask"]] if payload.get("mask") else None
        if ids is None:  # built-in metric: aligned lists, the mask is always precomputed then
            if mask is None:
                raise ValueError("a built-in metric needs the public mask")
            out = scoring.score_lists(payload["metric"], payload["labels"], payload["predictions"], mask)
        else:
            answers = dict(zip(ids, payload["labels"], strict=True))
            predictions = dict(zip(ids, payload["predictions"], strict=True))
            out = scoring.score_split(payload["metric"], payload["competition_id"],
                                      float(payload["public_fraction"]), answers, predictions, mask)
    except MemoryError:
        write({"error": "out of memory", "kind": "memory"})
        return 1
    except BaseException as exc:  # the scorer's own bug: report it, don't crash
        write({"error": _redact(f"{type(exc).__name__}: {exc}", payload)[:500]})
        return 1
    write(out)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
