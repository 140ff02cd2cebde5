"""Where the captured modem pages live, and a clean skip where they do not.

The pages come from other projects (see ../shared/fixtures/PROVENANCE.md), so
tests read them in place from the shared folder next to the checkout and never
copy them into this repository.  CI lays that folder beside the clone; a
machine without it skips these tests with a reason instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def shared_fixture(*parts: str) -> Path:
    """Return a path under shared/fixtures, or skip the test if it is not there."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"captured modem pages not available: {path} is missing (see README)")
    return path


def read_fixture(*parts: str) -> str:
    """Return a captured page as text (skipping the test if it is not there)."""
    return shared_fixture(*parts).read_text(encoding="utf-8", errors="replace")
