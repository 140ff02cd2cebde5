"""Home Assistant's backup platform: make the history databases safe to copy.

Home Assistant's own backup copies the configuration folder, which holds
every entry's ``history.db`` and its ``-wal`` (only the recorder's database
is excluded).  Before it copies, every loaded entry's database is
checkpointed and its automatic checkpoints paused, so the main file is the
consistent state of that moment however many polls are written meanwhile;
afterwards checkpoints resume.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .backups import async_pause_for_backup, async_resume_after_backup


async def async_pre_backup(hass: HomeAssistant) -> None:
    """Checkpoint every loaded entry's history before Home Assistant backs up."""
    await async_pause_for_backup(hass)


async def async_post_backup(hass: HomeAssistant) -> None:
    """Let the history databases checkpoint again."""
    await async_resume_after_backup(hass)
