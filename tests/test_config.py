"""Configuration: a mistake raises ConfigError naming the file, the key, the value and the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

import prefrontal
from prefrontal import Config, ConfigError, load_config
from prefrontal.testing import FakeClock, MemoryJournal

WriteConfig = Callable[..., Config]

ONE_DOMAIN = """
[domains.home]
charter = "the house"
policy = "cfg_rules:home"
"""


def test_a_minimal_config_loads_with_defaults(write_config: WriteConfig, tmp_path: Path) -> None:
    config = write_config(ONE_DOMAIN)

    assert list(config.domains) == ["home"]
    assert config.domains["home"].policy == "cfg_rules:home"
    assert config.executor.concurrency == 32
    assert config.journal.synchronous == "NORMAL"
    assert config.source == str(tmp_path / "prefrontal.toml")
    assert config.base_dir == tmp_path.resolve()


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigError) as caught:
        load_config(missing)

    assert str(caught.value) == (
        f"{missing}: no such file. Run 'prefrontal init' to write a starter config, "
        "or pass --config PATH."
    )


def test_a_toml_syntax_error_names_the_file(write_config: WriteConfig, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        write_config('[domains.home]\ncharter = "unterminated\n')

    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'prefrontal.toml'}: TOML syntax error: ")
    assert "line 2" in message
    assert message.endswith("Fix that line.")


def test_an_undeclared_worker_lists_the_declared_ones(write_config: WriteConfig) -> None:
    toml = """
    [workers.solve]
    kind = "tool"
    function = "cfg_tools:solve"

    [workers.summarize]
    kind = "tool"
    function = "cfg_tools:summarize"

    [domains.home]
    charter = "the house"
    policy = "cfg_rules:home"
    workers = ["solve", "fft"]
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml)

    assert str(caught.value).endswith(
        "[domains.home] workers: 'fft' is not declared; declared workers: "
        "['solve', 'summarize']. Declare it under [workers.fft] or remove it."
    )


def test_an_unknown_tier_of_an_llm_worker_lists_the_tiers(write_config: WriteConfig) -> None:
    toml = """
    [models]
    small = "anthropic:claude-haiku-4-5"
    big = "anthropic:claude-sonnet-4-5"

    [workers.summarize]
    kind = "llm"
    tier = "cheap"
    instructions = "Summarise."
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml + ONE_DOMAIN)

    assert str(caught.value).endswith(
        "[workers.summarize] tier = 'cheap' is not a declared tier; declared tiers: "
        "['big', 'small']. Add it under [models], e.g. "
        'cheap = "anthropic:claude-haiku-4-5".'
    )


def test_an_unknown_tier_of_an_llm_policy_lists_the_tiers(write_config: WriteConfig) -> None:
    toml = """
    [models]
    small = "anthropic:claude-haiku-4-5"

    [domains.money]
    charter = "the money"
    policy = { kind = "llm", tier = "boss" }
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml)

    assert str(caught.value).endswith(
        "[domains.money.policy] tier = 'boss' is not a declared tier; declared tiers: "
        "['small']. Add it under [models], e.g. boss = \"anthropic:claude-haiku-4-5\"."
    )


def test_an_unknown_router_classifier_tier_is_refused(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match=r"\[router\] classifier = 'sorter' is not a declared"):
        write_config('[router]\nclassifier = "sorter"\n' + ONE_DOMAIN)


def test_a_policy_that_is_not_an_import_path(write_config: WriteConfig) -> None:
    toml = """
    [domains.home]
    charter = "the house"
    policy = "home_rules"
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml)

    assert str(caught.value).endswith(
        "[domains.home] policy = 'home_rules' is not an import path; use 'module:function' "
        "(a rule policy) or a table with kind = 'llm'."
    )


def test_a_tool_function_that_is_not_an_import_path(write_config: WriteConfig) -> None:
    toml = """
    [workers.solve]
    kind = "tool"
    function = "solve"
    """
    with pytest.raises(ConfigError, match=r"\[workers\.solve\] function = 'solve' is not an"):
        write_config(toml + ONE_DOMAIN)


def test_a_missing_policy_module_fails_when_the_system_is_built(
    write_config: WriteConfig,
) -> None:
    config = write_config(
        """
        [domains.home]
        charter = "the house"
        policy = "cfg_no_such_module:home"
        """
    )

    async def start() -> None:
        async with prefrontal.open_system(config, journal=MemoryJournal(), clock=FakeClock()):
            pytest.fail("the system started with a policy that cannot be imported")

    with pytest.raises(ConfigError) as caught:
        anyio.run(start)

    message = str(caught.value)
    assert message.startswith(
        f"{config.source}: [domains.home] policy = 'cfg_no_such_module:home': module "
        "'cfg_no_such_module' cannot be imported ("
    )
    assert message.endswith(
        f"Put cfg_no_such_module.py beside {config.source} or fix the import path."
    )


def test_a_policy_module_without_the_function_lists_what_it_has(
    write_config: WriteConfig,
) -> None:
    config = write_config(
        """
        [domains.home]
        charter = "the house"
        policy = "cfg_rules_partial:home"
        """,
        cfg_rules_partial="def office(state, event):\n    return None\n",
    )

    async def start() -> None:
        async with prefrontal.open_system(config, journal=MemoryJournal(), clock=FakeClock()):
            pytest.fail("the system started with a policy that does not exist")

    with pytest.raises(ConfigError) as caught:
        anyio.run(start)

    assert str(caught.value).endswith(
        "module 'cfg_rules_partial' has no 'home'; it has ['office']."
    )


def test_an_unknown_key_names_its_path(write_config: WriteConfig) -> None:
    toml = """
    [domains.home]
    charter = "the house"
    policy = "cfg_rules:home"
    colour = "blue"
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml)

    assert str(caught.value).endswith(
        "domains.home.colour = 'blue': Extra inputs are not permitted; remove the key or "
        "check its spelling against the config reference."
    )


def test_an_unknown_top_level_key_names_it(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError) as caught:
        write_config('[modles]\ncheap = "test"\n' + ONE_DOMAIN)

    assert str(caught.value).endswith(
        ": modles: Extra inputs are not permitted; remove the key or check its spelling "
        "against the config reference."
    )


def test_an_out_of_range_value_names_the_key_and_value(write_config: WriteConfig) -> None:
    toml = """
    [workers.solve]
    kind = "tool"
    function = "cfg_tools:solve"
    timeout_s = -1
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml + ONE_DOMAIN)

    assert str(caught.value).endswith(
        "workers.solve.timeout_s = -1: Input should be greater than 0; "
        "see the config reference in the README."
    )


def test_a_bad_pattern_is_refused(write_config: WriteConfig) -> None:
    toml = """
    [domains.home]
    charter = "the house"
    policy = "cfg_rules:home"
    patterns = ["heat(ing"]
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml)

    message = str(caught.value)
    assert "domains.home.patterns = ['heat(ing']" in message
    assert (
        "pattern 'heat(ing' is not a regular expression RE2 accepts (missing ): heat(ing)"
        in message
    )


@pytest.mark.parametrize("name", ["Home", "1home", "home office", "h" * 33])
def test_a_bad_domain_name_is_refused(write_config: WriteConfig, name: str) -> None:
    toml = f"""
    [domains."{name}"]
    charter = "the house"
    policy = "cfg_rules:home"
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml)

    assert str(caught.value).endswith(
        f"name {name!r} is not allowed; use 1-32 lowercase letters, digits, '_' or '-', "
        "starting with a letter."
    )


def test_no_domain_at_all_is_refused(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match="domains: Field required; add the key"):
        write_config('[principal]\nname = "Alex"\n')


def test_a_relative_sqlite_journal_is_taken_from_the_configs_folder(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config('[journal]\nurl = "sqlite:///data/journal.db"\n' + ONE_DOMAIN)

    assert config.journal_url() == f"sqlite:///{tmp_path.resolve() / 'data' / 'journal.db'}"


def test_the_default_journal_sits_beside_the_config(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = write_config(ONE_DOMAIN)

    assert config.journal_url() == f"sqlite:///{tmp_path.resolve() / 'prefrontal.db'}"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////var/lib/prefrontal/journal.db",
        "sqlite://",
        "postgresql+psycopg://alex@db.example/prefrontal",
    ],
)
def test_absolute_memory_and_server_urls_are_kept(write_config: WriteConfig, url: str) -> None:
    config = write_config(f'[journal]\nurl = "{url}"\n' + ONE_DOMAIN)

    assert config.journal_url() == url


def test_the_in_memory_sqlite_url_stays_in_memory(write_config: WriteConfig) -> None:
    config = write_config('[journal]\nurl = "sqlite:///:memory:"\n' + ONE_DOMAIN)

    assert config.journal_url() == "sqlite:///:memory:"


def test_a_worker_without_a_kind_is_a_tool(write_config: WriteConfig) -> None:
    toml = """
    [workers.solve]
    function = "cfg_tools:solve"
    """
    config = write_config(toml + ONE_DOMAIN)

    assert config.workers["solve"].kind == "tool"


def test_a_worker_with_an_unknown_kind_says_which_kinds_exist(write_config: WriteConfig) -> None:
    toml = """
    [workers.solve]
    kind = "mcp"
    function = "cfg_tools:solve"
    """
    with pytest.raises(ConfigError) as caught:
        write_config(toml + ONE_DOMAIN)

    assert "workers.solve" in str(caught.value)
    assert "use kind = 'tool', 'llm' or 'code'." in str(caught.value)
