"""Shared fixtures: the shared corpus and the reference parsers (oracles).

Outside CI a missing oracle or corpus skips its tests; in CI (``CI=true``) a missing
oracle fails them, because the differential tests must run there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _need(tool: str) -> str:
    found = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.path.exists(f"/usr/sbin/{tool}") else None)
    if found:
        return found
    if IN_CI:
        pytest.fail(f"{tool} is not installed: .ci/run must install it (oracle tests cannot be skipped in CI)")
    pytest.skip(f"{tool} not installed (apt-get install postfix dovecot-core)")


@pytest.fixture(scope="session")
def postconf() -> str:
    return _need("postconf")


@pytest.fixture(scope="session")
def postconf_installed() -> str:
    """The installed postconf, for modules that override ``postconf`` with versions."""
    return _need("postconf")


@pytest.fixture(scope="session")
def doveconf() -> str:
    return _need("doveconf")


TRIXIE_ROOT = os.environ.get("POLICY_LINT_TRIXIE_ROOT", "/var/cache/policy-lint/trixie-root")


@pytest.fixture(scope="session")
def trixie_root() -> Path:
    """The Debian 13 root of ``.ci/trixie-root`` (Dovecot 2.4, Postfix 3.10), whose oracles
    run as ``chroot ROOT doveconf ...`` (needs root). Skipped when absent outside CI."""
    root = Path(TRIXIE_ROOT)
    usable = (root / ".policy-lint-root").is_file() and os.geteuid() == 0 and shutil.which("chroot")
    if usable:
        import subprocess

        usable = subprocess.run(["chroot", str(root), "doveconf", "-d"], capture_output=True,
                                check=False, timeout=60).returncode == 0
    if usable:
        return root
    if IN_CI:
        pytest.fail(f"the Debian 13 root {root} is missing or broken: .ci/run must build it "
                    "(bash .ci/trixie-root); oracle tests cannot be skipped in CI")
    pytest.skip(f"no Debian 13 root at {root} (as root: bash .ci/trixie-root)")


def corpus_manifest() -> list[dict[str, str]]:
    """Rows of ``../shared/corpus/MANIFEST.tsv`` (empty when the corpus is absent)."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    lines = manifest.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "MANIFEST.tsv").exists():
        pytest.skip("../shared/corpus is absent")
    return CORPUS
