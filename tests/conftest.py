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
def doveconf() -> str:
    return _need("doveconf")


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
