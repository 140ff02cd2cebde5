"""The cheap checks of hassfest and the HACS action, which cannot run here.

manifest.json (required keys, key order, values), hacs.json (allowed keys),
translations (every string of strings.json in each language, en.json equal to
strings.json), and that every entity, service and exception the code uses has
its strings and icons.
"""

from __future__ import annotations

from collections.abc import Iterator
import importlib
import inspect
import json
from pathlib import Path
import re
from typing import Any, get_type_hints

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
from homeassistant.loader import Manifest
from homeassistant.setup import async_setup_component
import pytest
import yaml

from custom_components.docsight.const import DOMAIN

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / DOMAIN
LANGUAGES = ["en", "de"]
ENTITY_PLATFORMS = ["sensor", "binary_sensor", "button", "event", "image"]

# hassfest's schema for custom integrations (script/hassfest/manifest.py).
REQUIRED_MANIFEST_KEYS = {
    "domain",
    "name",
    "version",
    "documentation",
    "issue_tracker",
    "codeowners",
    "iot_class",
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
# Keys the loader sets itself; they never belong in a manifest file.
RUNTIME_MANIFEST_KEYS = {"is_built_in", "overwrites_built_in"}
# The version strategies Home Assistant's loader accepts for a custom integration.
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
# hacs.json schema of the HACS action (hacs/integration: validate/hacsjson).
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TRANSLATION_KEY = re.compile(r"translation_key\s*=\s*\"(\w+)\"")


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _leaves(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key)


def _get(tree: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return _load_json(INTEGRATION / "manifest.json")


@pytest.fixture(scope="module")
def strings() -> dict[str, Any]:
    return _load_json(INTEGRATION / "strings.json")


@pytest.fixture(scope="module")
def icons() -> dict[str, Any]:
    return _load_json(INTEGRATION / "icons.json")


# --- manifest.json -------------------------------------------------------------


def test_manifest_key_order(manifest: dict[str, Any]) -> None:
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"], "manifest must start with domain, then name"
    assert keys[2:] == sorted(keys[2:]), "Manifest keys are not sorted correctly"


def test_manifest_keys(manifest: dict[str, Any]) -> None:
    missing = REQUIRED_MANIFEST_KEYS - manifest.keys()
    assert not missing, f"required keys missing: {sorted(missing)}"
    known = set(get_type_hints(Manifest)) - RUNTIME_MANIFEST_KEYS
    assert manifest.keys() <= known, f"unknown keys: {sorted(manifest.keys() - known)}"


def test_manifest_values(manifest: dict[str, Any]) -> None:
    assert manifest["domain"] == DOMAIN == INTEGRATION.name
    assert isinstance(manifest["name"], str)
    assert manifest["name"]
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES
    for key in ("documentation", "issue_tracker"):
        assert manifest[key].startswith("https://"), f"{key} must be an https URL"
    assert "home-assistant.io" not in manifest["documentation"]
    assert manifest["codeowners"], "at least one code owner"
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    for key in ("dependencies", "after_dependencies", "requirements", "loggers"):
        value = manifest.get(key, [])
        assert isinstance(value, list)
        assert all(isinstance(item, str) for item in value)


def test_manifest_version_parses(manifest: dict[str, Any]) -> None:
    version = AwesomeVersion(manifest["version"], ensure_strategy=VERSION_STRATEGIES)
    assert version.strategy is not AwesomeVersionStrategy.UNKNOWN


# --- hacs.json -------------------------------------------------------------------


def test_hacs_json() -> None:
    hacs = _load_json(ROOT / "hacs.json")

    assert hacs.keys() <= HACS_KEYS, f"extra keys not allowed: {sorted(hacs.keys() - HACS_KEYS)}"
    assert isinstance(hacs.get("name"), str)
    assert hacs["name"]
    if "homeassistant" in hacs:
        assert AwesomeVersion(hacs["homeassistant"]).strategy is AwesomeVersionStrategy.CALVER
    if "hacs" in hacs:
        assert AwesomeVersion(hacs["hacs"]).strategy is not AwesomeVersionStrategy.UNKNOWN
    countries = hacs.get("country", [])
    for country in [countries] if isinstance(countries, str) else countries:
        assert re.fullmatch(r"[A-Z]{2}", country), f"not an ISO 3166-1 alpha-2 code: {country}"
    for key in ("content_in_root", "zip_release", "hide_default_branch"):
        assert isinstance(hacs.get(key, False), bool)
    if hacs.get("zip_release"):
        assert hacs.get("filename")


# --- translations -------------------------------------------------------------------


def test_en_equals_strings(strings: dict[str, Any]) -> None:
    # A custom integration ships no build step: Home Assistant reads translations/en.json.
    assert _load_json(INTEGRATION / "translations" / "en.json") == strings


def test_strings_are_non_empty(strings: dict[str, Any]) -> None:
    for path in _leaves(strings):
        value = _get(strings, path)
        assert isinstance(value, str), "/".join(path)
        assert value.strip(), "/".join(path)
        assert "[%key:" not in value, f"{'/'.join(path)}: references are core-only"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_complete(strings: dict[str, Any], language: str) -> None:
    path = INTEGRATION / "translations" / f"{language}.json"
    assert path.is_file(), f"translations/{language}.json is missing"
    translation = _load_json(path)

    wanted = set(_leaves(strings))
    present = set(_leaves(translation))
    missing = sorted("/".join(key) for key in wanted - present)
    stale = sorted("/".join(key) for key in present - wanted)
    assert not missing, f"{language}.json lacks {missing}"
    assert not stale, f"{language}.json has keys strings.json does not: {stale}"
    for key in wanted:
        text = _get(translation, key)
        where = "/".join(key)
        assert isinstance(text, str), where
        assert text.strip(), where
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(_get(strings, key))), (
            f"{language}.json {where}: placeholders differ from strings.json"
        )


# --- entities, services, exceptions ----------------------------------------------------


def _source_translation_keys(platform: str) -> set[str]:
    return set(TRANSLATION_KEY.findall((INTEGRATION / f"{platform}.py").read_text("utf-8")))


def _class_attr(cls: type, name: str) -> Any:
    """Return an ``_attr_`` value set on ``cls`` or a base (Entity keeps it as ``__attr_``)."""
    for klass in cls.__mro__:
        own = vars(klass)
        for attr in (f"__attr_{name}", f"_attr_{name}"):
            if attr in own and not isinstance(own[attr], property):
                return own[attr]
    return None


def _described_entities(platform: str) -> dict[str, Any]:
    """Return translation key -> device class of what the platform module defines."""
    module = importlib.import_module(f"custom_components.{DOMAIN}.{platform}")
    found: dict[str, Any] = {}
    for value in vars(module).values():
        candidates = value if isinstance(value, (tuple, list)) else (value,)
        for item in candidates:
            # Entity descriptions are frozen dataclasses built by a metaclass that
            # defeats isinstance(); they are told by their fields instead.
            if not inspect.isclass(item) and getattr(item, "translation_key", None):
                found[item.translation_key] = getattr(item, "device_class", None)
        if (
            inspect.isclass(value)
            and issubclass(value, Entity)
            and value.__module__ == module.__name__
            and (key := _class_attr(value, "translation_key"))
        ):
            found[key] = _class_attr(value, "device_class")
    return found


@pytest.mark.parametrize("platform", ENTITY_PLATFORMS)
def test_entity_translations_and_icons(
    strings: dict[str, Any], icons: dict[str, Any], platform: str
) -> None:
    entities = _described_entities(platform)
    in_source = _source_translation_keys(platform)
    assert in_source <= entities.keys(), "translation keys set outside descriptions"
    assert entities, f"{platform}.py defines no entities"

    names = strings["entity"].get(platform, {})
    platform_icons = icons["entity"].get(platform, {})
    for key, device_class in entities.items():
        assert names.get(key, {}).get("name"), f"entity.{platform}.{key}.name missing"
        # An entity with a device class (other than enum) gets its icon from it.
        if device_class is None or device_class == "enum":
            assert platform_icons.get(key, {}).get("default"), (
                f"icons.json lacks entity.{platform}.{key}.default"
            )
    assert names.keys() <= entities.keys(), f"unused strings: {sorted(names.keys() - entities)}"
    assert platform_icons.keys() <= entities.keys(), (
        f"unused icons: {sorted(platform_icons.keys() - entities)}"
    )


def test_services_have_strings_and_icons(strings: dict[str, Any], icons: dict[str, Any]) -> None:
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))

    assert services
    assert services.keys() == strings["services"].keys()
    assert services.keys() == icons["services"].keys()
    for name, service in services.items():
        text = strings["services"][name]
        assert text.get("name"), name
        assert text.get("description"), name
        assert icons["services"][name].get("service"), name
        fields = (service or {}).get("fields", {})
        assert fields.keys() == text.get("fields", {}).keys(), name
        for field in fields:
            assert text["fields"][field].get("name"), f"{name}.{field}"
            assert text["fields"][field].get("description"), f"{name}.{field}"


async def test_registered_services_match_services_yaml(hass: HomeAssistant) -> None:
    # Whatever module registers them: ask Home Assistant what is registered.
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    assert await async_setup_component(hass, DOMAIN, {})
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    assert registered == services.keys()


def test_exception_translation_keys_exist(strings: dict[str, Any]) -> None:
    used: set[str] = set()
    for path in INTEGRATION.glob("*.py"):
        used |= set(TRANSLATION_KEY.findall(path.read_text(encoding="utf-8")))
    entity_keys = {key for platform in strings["entity"].values() for key in platform}
    exceptions = strings["exceptions"]
    missing = sorted(key for key in used - entity_keys if key not in exceptions)
    assert not missing, f"exceptions without strings: {missing}"
    # Keys chosen at run time.
    from custom_components.docsight.coordinator import _failure_key
    from custom_components.docsight.docsis.drivers import (
        ModemConnectionError,
        ModemLockedError,
        ModemParseError,
        UnsupportedModemError,
    )

    for error in (
        ModemConnectionError(),
        ModemLockedError(),
        ModemParseError(),
        UnsupportedModemError(),
        TimeoutError(),
    ):
        assert _failure_key(error) in exceptions
