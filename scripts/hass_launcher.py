"""Start Home Assistant from .venv; used by scripts/develop instead of `hass`.

Home Assistant 2026.2.x declares Python >= 3.13.2, and its `hass` entry point
exits at once on anything older.  Our machines ship CPython 3.13.0 (pyenv),
which runs it fine in practice.  Where the interpreter is older than 3.13.2,
this launcher lowers Home Assistant's only version check
(homeassistant.const.REQUIRED_PYTHON_VER) to the running version and says so;
on 3.13.2 or newer it changes nothing.  Arguments are those of `hass`.

This is a workaround for local development only, not something to ship.
"""

import sys

from homeassistant import __main__ as ha_main, const


def main() -> int:
    """Relax the Python version check if needed, then run Home Assistant."""
    running = sys.version_info[:3]
    if running < const.REQUIRED_PYTHON_VER:
        wanted = ".".join(map(str, const.REQUIRED_PYTHON_VER))
        have = ".".join(map(str, running))
        print(
            f"hass_launcher: Home Assistant {const.__version__} asks for Python >= {wanted}; "
            f"running it on {have} anyway (development only).",
            file=sys.stderr,
        )
        # __main__ imported the constant by name, so patch both places.
        const.REQUIRED_PYTHON_VER = running  # type: ignore[misc]
        ha_main.REQUIRED_PYTHON_VER = running  # type: ignore[misc]
    return ha_main.main()


if __name__ == "__main__":
    sys.exit(main())
