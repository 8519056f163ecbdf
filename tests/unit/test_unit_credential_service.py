"""The credentials service: resolution (environment first, read lazily), changes under the lock, one store per run."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from skytells.cli.context import Context
from skytells.config import settings
from skytells.credentials.model import Credential, StoredCredentials
from skytells.credentials.service import CredentialService, resolve
from skytells.credentials.stores.base import CredentialStore
from skytells.errors import AuthError, NotLoggedInError, UsageError

TOKEN = "sk_pat_" + "2e" * 32
OTHER = "sk_pat_" + "7c" * 32
FIELDS = {"token": settings.ENV_TOKEN, "access_key": settings.ENV_ACCESS_KEY, "api_key": settings.ENV_API_KEY}
VALUES = {"token": TOKEN, "access_key": "sk_proj_" + "ab12" * 6, "api_key": "sk_live_" + "9f" * 12}


class MemoryStore(CredentialStore):
    """A store in memory that counts reads and updates, and can be made unreadable."""

    name = "memory"
    description = "In memory, for tests"

    def __init__(self) -> None:
        self.record = StoredCredentials()
        self.loads = self.updates = 0
        self.unreadable = False

    @property
    def location(self) -> str:
        return "memory"

    def load(self) -> StoredCredentials:
        self.loads += 1
        if self.unreadable:
            raise UsageError("the store cannot be read")
        return self.record

    def update(self, change):  # type: ignore[no-untyped-def]
        self.updates += 1
        if self.unreadable:
            raise UsageError("the store cannot be read")
        change(self.record)
        return self.record


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*FIELDS.values(), settings.ENV_PROFILE, settings.ENV_CONSOLE_URL):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(tmp_path / "config"))


@pytest.mark.parametrize("profile", [None, "work", "ci.runner-2"])
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_the_environment_wins_and_the_store_is_not_even_read(monkeypatch: pytest.MonkeyPatch, field: str,
                                                             profile: str | None) -> None:
    store = MemoryStore()
    store.unreadable = True  # an environment credential works even beside a broken store
    monkeypatch.setenv(FIELDS[field], VALUES[field])
    resolved = CredentialService(store, profile).resolve(field)
    assert (resolved.value, resolved.origin, resolved.source) == (VALUES[field], "env", FIELDS[field])
    assert store.loads == 0


@pytest.mark.parametrize("profile", [None, "work"])
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_the_chosen_profile_is_read_when_the_environment_is_silent(field: str, profile: str | None) -> None:
    store = MemoryStore()
    service = CredentialService(store, profile)
    assert service.resolve(field).value is None
    if field == "token":
        service.save_token(Credential(token=VALUES[field], method="token", host="https://console.example"))
    else:
        service.save_secret(field, VALUES[field])
    resolved = service.resolve(field)
    assert (resolved.value, resolved.origin, resolved.source) == (VALUES[field], "store", "memory")
    other_profile = CredentialService(store, "other" if profile else "work")
    assert other_profile.resolve(field).value is None  # saved into the chosen profile only
    assert service.remove(field) is True
    assert service.remove(field) is False
    assert service.resolve(field).value is None


def test_the_documented_resolve_takes_a_record_or_a_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    store, record = MemoryStore(), StoredCredentials()
    record.set_secret("api_key", VALUES["api_key"])
    assert resolve("api_key", record, store).value == VALUES["api_key"]
    assert resolve("api_key", lambda: record, store).origin == "store"
    monkeypatch.setenv(settings.ENV_API_KEY, "sk_live_" + "00" * 12)
    assert resolve("api_key", lambda: pytest.fail("read although the environment decided"), store).origin == "env"


@pytest.mark.parametrize("profile", [None, "work"])
def test_active_token_prefers_the_environment_then_the_profile(monkeypatch: pytest.MonkeyPatch,
                                                              profile: str | None) -> None:
    store = MemoryStore()
    service = CredentialService(store, profile)
    with pytest.raises(AuthError) as missing:
        service.active_token()
    assert ("--profile work" in missing.value.hint) == (profile == "work")
    if profile:  # a profile that does not exist yet is named as such
        assert missing.value.message == "There is no profile 'work' (no profile has credentials yet)."
    else:
        assert missing.value.message == "You are not logged in."
    service.save_token(Credential(token=TOKEN, method="token", host="https://console.example"))
    active = service.active_token()
    assert (active.token, active.origin) == (TOKEN, "store")
    monkeypatch.setenv(settings.ENV_TOKEN, OTHER)
    assert (service.active_token().token, service.active_token().origin) == (OTHER, "env")


def test_a_stored_token_is_only_sent_to_its_own_server() -> None:
    service = CredentialService(MemoryStore(), None)
    service.save_token(Credential(token=TOKEN, method="token", host="https://console.example"))
    with pytest.raises(AuthError, match=r"issued for https://console\.example"):
        service.active_token(server="https://elsewhere.example")


def test_switching_to_a_missing_profile_names_the_existing_ones() -> None:
    store = MemoryStore()
    CredentialService(store, "work").save_secret("api_key", VALUES["api_key"])
    with pytest.raises(NotLoggedInError, match="no profile 'nope'") as error:
        CredentialService(store, None).switch_default("nope")
    assert "(profiles: work)" in error.value.message  # as --profile nope says it, exit 4
    assert error.value.hint == "Run skytells --profile nope login to create it."


def test_every_change_is_one_update_under_the_lock() -> None:
    store = MemoryStore()
    service = CredentialService(store, "work")
    service.save_token(Credential(token=TOKEN, method="token", host="https://console.example"))
    service.save_secret("api_key", VALUES["api_key"])
    service.remove("api_key")
    service.switch_default("work")
    assert store.updates == 4


def test_a_context_opens_the_store_once_and_builds_one_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[MemoryStore] = []

    def open_store() -> MemoryStore:
        opened.append(MemoryStore())
        return opened[-1]

    monkeypatch.setattr("skytells.cli.context.open_store", open_store)
    context = Context(stdin=io.StringIO(), stderr=io.StringIO(), profile="work")
    assert context.credentials.store is context.store is context.credentials.store
    assert context.terminal is context.terminal
    assert context.credentials.profile == "work" and len(opened) == 1


@pytest.mark.parametrize(("flag", "env", "expected"), [(None, None, None), ("a", None, "a"), (None, "b", "b"),
                                                       ("a", "b", "a")])
def test_the_profile_flag_outranks_the_environment(monkeypatch: pytest.MonkeyPatch, flag: str | None,
                                                   env: str | None, expected: str | None) -> None:
    if env:
        monkeypatch.setenv(settings.ENV_PROFILE, env)
    assert Context(profile=flag).profile == expected


@pytest.mark.parametrize("bad", ["has space", "a/b", "x" * 65, "../up"])
def test_a_bad_profile_in_the_environment_is_a_usage_error_when_first_asked(monkeypatch: pytest.MonkeyPatch,
                                                                            bad: str) -> None:
    monkeypatch.setenv(settings.ENV_PROFILE, bad)
    context = Context()  # building the context never fails: only a command that needs the profile does
    with pytest.raises(UsageError, match=settings.ENV_PROFILE):
        _ = context.profile
