"""The site agent's own virtual environment: waldur-site-agent 1.0.7 and the test backend plugin.

Built into .venv-agent/ (or CONSOLE_TEST_AGENT_VENV) and reused while requirements.txt and the
plugin's files are unchanged; a fingerprint of them is kept in the environment. `make agent-venv`
runs this module; the `agent_venv` session fixture calls `ensure()` too, so a plain `pytest` works.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

AGENT_TESTS = Path(__file__).resolve().parent
PROJECT_ROOT = AGENT_TESTS.parents[1]
REQUIREMENTS = AGENT_TESTS / "requirements.txt"
PLUGIN = AGENT_TESTS / "plugin"
FINGERPRINT_FILE = ".console-fingerprint"


def default_location() -> Path:
    """Where the environment lives: CONSOLE_TEST_AGENT_VENV, else .venv-agent/ in the project."""
    return Path(os.environ.get("CONSOLE_TEST_AGENT_VENV") or PROJECT_ROOT / ".venv-agent")


def _plugin_files() -> list[Path]:
    return sorted(
        path
        for path in PLUGIN.rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".toml"}
        and not any(part.endswith(".egg-info") or part == "build" for part in path.parts)
    )


def fingerprint() -> str:
    """A digest of everything the environment is built from, and of the Python building it."""
    digest = hashlib.sha256(f"{sys.version_info[:2]}\n".encode())
    for path in [REQUIREMENTS, *_plugin_files()]:
        digest.update(str(path.relative_to(AGENT_TESTS)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def executable(venv: Path, name: str = "python") -> Path:
    """A program inside the environment (python, pip, waldur_site_agent)."""
    return venv / "bin" / name


def is_current(venv: Path) -> bool:
    """True when the environment exists and was built from the files as they are now."""
    stamp = venv / FINGERPRINT_FILE
    return (
        stamp.exists()
        and stamp.read_text().strip() == fingerprint()
        and executable(venv, "waldur_site_agent").exists()
    )


def ensure(venv: Path | None = None, *, quiet: bool = True) -> Path:
    """Build the environment unless it is current; return its path.

    pytest-xdist workers may call this at once: a lock file beside the environment lets one
    build while the others wait, then find it current.
    """
    venv = venv or default_location()
    if is_current(venv):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_current(venv):
            _build(venv, quiet=quiet)
    return venv


def _build(venv: Path, *, quiet: bool) -> None:
    """Create the environment from scratch and stamp it with the fingerprint."""
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(executable(venv)), "-m", "pip", "--no-input", "--disable-pip-version-check"]
    if quiet:
        pip.append("--quiet")
    subprocess.run([*pip, "install", "-r", str(REQUIREMENTS)], check=True)
    # --no-deps: the plugin's only dependency is pinned in requirements.txt already. A copy, not
    # an editable install: the agent should see a plugin installed the way a site installs one.
    subprocess.run([*pip, "install", "--no-deps", str(PLUGIN)], check=True)
    (venv / FINGERPRINT_FILE).write_text(fingerprint() + "\n")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    location = ensure(target, quiet=False)
    print(f"site agent environment ready: {location}")
