"""Configuration: one ``prefrontal.toml``, validated with pydantic.

Owns the config schema, loading, cross-checks and import-path resolution. Imports only
``prefrontal.errors`` and the sandbox's ``Limits`` record. A mistake raises ``ConfigError``
naming the file, the key, the offending value and the fix; nothing half-valid is returned.
"""

from __future__ import annotations

import importlib
import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)

from prefrontal.errors import ConfigError
from prefrontal.sandbox.limits import Limits

DEFAULT_FILE = "prefrontal.toml"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrincipalConfig(_Section):
    name: str = "you"
    interruptions_per_day: int = Field(default=5, ge=0)


class JournalConfig(_Section):
    url: str = "sqlite:///prefrontal.db"
    synchronous: Literal["OFF", "NORMAL", "FULL"] = "NORMAL"


class ExecutorConfig(_Section):
    concurrency: int = Field(default=32, ge=1, le=10_000)


class EndpointTier(_Section):
    """An OpenAI-compatible server (Ollama, llama.cpp's server, vLLM) reached by base URL."""

    base_url: str
    model: str
    api_key_env: str | None = None


ModelTier = str | EndpointTier


class RouterConfig(_Section):
    classifier: str | None = None
    min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)


class GuardsConfig(_Section):
    max_commissions_per_event: int = Field(default=8, ge=1)
    max_handoff_depth: int = Field(default=3, ge=0)
    max_identical_commissions: int = Field(default=2, ge=1)
    max_decisions_per_thread: int = Field(default=24, ge=1)
    max_idle_decisions: int = Field(default=4, ge=1)


class _WorkerBase(_Section):
    """Keys every worker has. Taint: ``trusted`` declares that the worker brings in no
    outside content (its free text is readable by orchestrators); ``consequential`` that its
    effects leave the system (pay, send, write, delete), so a commission carrying tainted
    values needs the principal's approval, except in the inputs named in ``tainted_inputs``.
    """

    description: str = ""
    timeout_s: float = Field(default=30.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    concurrency: int = Field(default=8, ge=1)
    max_output_bytes: int = Field(default=64 * 1024, ge=64, le=64 * 1024)
    trusted: bool = False
    consequential: bool = False
    tainted_inputs: tuple[str, ...] = ()


class ToolWorkerConfig(_WorkerBase):
    """A typed Python function. ``cost_usd`` prices a call to a paid service (SMS, an API)."""

    kind: Literal["tool"] = "tool"
    function: str
    cost_usd: float = Field(default=0.0, ge=0)


class ModelWorkerConfig(_WorkerBase):
    """A worker that calls a model tier: its tier and its per-commission ceilings."""

    tier: str
    max_tokens: int = Field(default=1024, ge=1)
    max_cost_usd: float = Field(default=0.05, ge=0)


class LlmWorkerConfig(ModelWorkerConfig):
    """A cheap-tier model with instructions and an output type, fresh for each commission."""

    kind: Literal["llm"]
    instructions: str
    output: str | None = None


class CodeWorkerConfig(ModelWorkerConfig):
    """A cheap-tier model writes a short Python program; the sandbox runs it; its result goes up.

    A domain may commission it only if it lists it in its ``workers``. ``limits`` cap each
    run; ``interpreter`` is the Python inside the sandbox (default: the one running
    Prefrontal); ``repairs`` is how many times the model may rewrite a program that failed.
    """

    kind: Literal["code"]
    instructions: str = ""
    timeout_s: float = Field(default=120.0, gt=0)
    retries: int = Field(default=0, ge=0, le=10)
    concurrency: int = Field(default=2, ge=1)
    limits: Limits = Field(default_factory=Limits)
    interpreter: str | None = None
    sandbox_uid: int = Field(default=65534, ge=1, le=2**31 - 2)
    repairs: int = Field(default=1, ge=0, le=3)
    max_tokens: int = Field(default=2048, ge=1)
    files_dir: str = "code-files"


def _worker_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "tool"))  # type: ignore[union-attr]
    return str(getattr(value, "kind", "tool"))


WorkerConfig = Annotated[
    Annotated[ToolWorkerConfig, Tag("tool")]
    | Annotated[LlmWorkerConfig, Tag("llm")]
    | Annotated[CodeWorkerConfig, Tag("code")],
    Discriminator(_worker_kind),
]


class LlmPolicyConfig(_Section):
    kind: Literal["llm"] = "llm"
    tier: str
    instructions: str = ""
    retries: int = Field(default=2, ge=0, le=5)


class HearingSenseConfig(_Section):
    """Two or more microphones: voice, direction, words and sound events."""

    kind: Literal["hearing"]
    source: str
    spacing_m: float = Field(default=0.18, gt=0.0, le=2.0)
    channels: int = Field(default=2, ge=2, le=2)
    listen_for: tuple[str, ...] = ()
    block_s: float = Field(default=0.1, gt=0.0, le=1.0)


class TelemetrySenseConfig(_Section):
    """Sensor readings from a CSV or JSONL file, or a generator."""

    kind: Literal["telemetry"]
    source: str
    channels: tuple[str, ...] = ()


SenseConfig = Annotated[HearingSenseConfig | TelemetrySenseConfig, Field(discriminator="kind")]


class EvidenceConfig(_Section):
    folder: str = "evidence"
    max_age_s: float = Field(default=3600.0, gt=0)
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)


class BudgetConfig(_Section):
    usd_per_day: float = Field(default=1.0, ge=0)
    context_tokens: int = Field(default=4000, ge=256)


class DomainConfig(_Section):
    charter: str
    never: tuple[str, ...] = ()
    policy: str | LlmPolicyConfig
    workers: tuple[str, ...] = ()
    senses: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    budget: BudgetConfig = BudgetConfig()
    recent_events: int = Field(default=12, ge=1, le=1000)
    memory_notes: int = Field(default=40, ge=1, le=10_000)
    interruptions_per_day: int | None = Field(default=None, ge=0)
    join_reports: bool | None = None

    @property
    def joins_reports(self) -> bool:
        """Wake the policy once per fan-out, on its last report (default: LLM policies only)."""
        if self.join_reports is not None:
            return self.join_reports
        return isinstance(self.policy, LlmPolicyConfig)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"pattern {pattern!r} is not a regular expression: {error}"
                ) from None
        return patterns


class Config(_Section):
    """The whole system: principal, journal, model tiers, workers and domains."""

    principal: PrincipalConfig = PrincipalConfig()
    journal: JournalConfig = JournalConfig()
    executor: ExecutorConfig = ExecutorConfig()
    models: dict[str, ModelTier] = Field(default_factory=dict)
    router: RouterConfig = RouterConfig()
    guards: GuardsConfig = GuardsConfig()
    workers: dict[str, WorkerConfig] = Field(default_factory=dict)
    senses: dict[str, SenseConfig] = Field(default_factory=dict)
    evidence: EvidenceConfig = EvidenceConfig()
    domains: dict[str, DomainConfig]
    base_dir: Path = Field(default=Path("."), exclude=True)
    source: str = Field(default=DEFAULT_FILE, exclude=True)

    def journal_url(self) -> str:
        """The journal URL, with a relative SQLite path taken from the config's folder."""
        url = self.journal.url
        prefix = "sqlite:///"
        relative = url.startswith(prefix) and not url.startswith(prefix + "/")
        if relative and url not in (prefix, prefix + ":memory:"):
            return prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url


def load_config(path: str | Path = DEFAULT_FILE) -> Config:
    """Read, validate and cross-check a config file."""
    file = Path(path)
    if not file.exists():
        raise ConfigError(
            f"{file}: no such file. Run 'prefrontal init' to write a starter config, "
            "or pass --config PATH."
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: TOML syntax error: {error}. Fix that line.") from error
    return parse_config(data, source=str(file), base_dir=file.resolve().parent)


def parse_config(data: dict[str, Any], *, source: str, base_dir: Path) -> Config:
    """Validate a parsed TOML document; ``source`` names it in errors."""
    try:
        config = Config.model_validate({**data, "base_dir": base_dir, "source": source})
    except ValidationError as error:
        raise _config_error(source, error) from None
    _cross_check(config)
    return config


def _config_error(source: str, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    location = [str(p) for p in first["loc"] if not str(p).startswith(("function-", "str"))]
    # Drop pydantic's union branch names ("ToolWorkerConfig", "LlmPolicyConfig", "tool").
    key = ".".join(p for p in location if not p[:1].isupper() and p not in ("tool", "llm"))
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" = {value!r}"
    fix = _FIXES.get(first["type"], "see the config reference in the README")
    others = error.error_count() - 1
    more = f" ({others} more {'problem' if others == 1 else 'problems'})" if others else ""
    return ConfigError(f"{source}: {key}{shown}: {first['msg']}; {fix}.{more}")


_FIXES = {
    "extra_forbidden": "remove the key or check its spelling against the config reference",
    "missing": "add the key",
    "union_tag_invalid": "use kind = 'tool', 'llm' or 'code'",
    "union_tag_not_found": "add kind = 'tool', 'llm' or 'code'",
}


def _cross_check(config: Config) -> None:
    src = config.source
    if not config.domains:
        raise ConfigError(f"{src}: no [domains.NAME] is declared; declare at least one domain.")
    tiers = sorted(config.models)
    for name in [*config.domains, *config.workers, *config.senses]:
        if not _NAME.match(name):
            raise ConfigError(
                f"{src}: name {name!r} is not allowed; use 1-32 lowercase letters, digits, "
                "'_' or '-', starting with a letter."
            )
    for name, domain in config.domains.items():
        for worker in domain.workers:
            if worker not in config.workers:
                raise ConfigError(
                    f"{src}: [domains.{name}] workers: {worker!r} is not declared; declared "
                    f"workers: {sorted(config.workers)}. Declare it under [workers.{worker}] "
                    "or remove it."
                )
        for sense in domain.senses:
            if sense not in config.senses:
                raise ConfigError(
                    f"{src}: [domains.{name}] senses: {sense!r} is not declared; declared "
                    f"senses: {sorted(config.senses)}. Declare it under [senses.{sense}] "
                    "or remove it."
                )
        if isinstance(domain.policy, LlmPolicyConfig):
            _check_tier(src, f"[domains.{name}.policy] tier", domain.policy.tier, tiers)
        elif ":" not in domain.policy:
            raise ConfigError(
                f"{src}: [domains.{name}] policy = {domain.policy!r} is not an import path; "
                "use 'module:function' (a rule policy) or a table with kind = 'llm'."
            )
    for name, worker in config.workers.items():
        if isinstance(worker, ModelWorkerConfig):
            _check_tier(src, f"[workers.{name}] tier", worker.tier, tiers)
        if isinstance(worker, CodeWorkerConfig):
            runs = worker.repairs + 1
            if worker.timeout_s < worker.limits.wall_s * runs:
                raise ConfigError(
                    f"{src}: [workers.{name}] timeout_s = {worker.timeout_s:g} is shorter than "
                    f"{runs} run(s) of limits.wall_s = {worker.limits.wall_s:g}; raise timeout_s "
                    f"to at least {worker.limits.wall_s * runs + 30:g} (the model writes too)."
                )
        elif isinstance(worker, ToolWorkerConfig) and ":" not in worker.function:
            raise ConfigError(
                f"{src}: [workers.{name}] function = {worker.function!r} is not an import "
                "path; use 'module:function'."
            )
    if config.router.classifier is not None:
        _check_tier(src, "[router] classifier", config.router.classifier, tiers)


def _check_tier(src: str, where: str, tier: str, tiers: list[str]) -> None:
    if tier not in tiers:
        raise ConfigError(
            f"{src}: {where} = {tier!r} is not a declared tier; declared tiers: {tiers}. "
            f'Add it under [models], e.g. {tier} = "anthropic:claude-haiku-4-5".'
        )


def load_object(spec: str, *, where: str, config: Config) -> Any:
    """Import ``module:attribute``; the config's folder is searched first."""
    module_name, _, attribute = spec.partition(":")
    folder = str(config.base_dir)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(
            f"{config.source}: {where} = {spec!r}: module {module_name!r} cannot be imported "
            f"({error}). Put {module_name.replace('.', '/')}.py beside {config.source} or fix "
            "the import path."
        ) from error
    try:
        return getattr(module, attribute)
    except AttributeError:
        names = sorted(n for n in vars(module) if not n.startswith("_"))
        raise ConfigError(
            f"{config.source}: {where} = {spec!r}: module {module_name!r} has no "
            f"{attribute!r}; it has {names[:20]}."
        ) from None


def tiers_in_use(config: Config) -> Iterable[tuple[str, str]]:
    """(tier, who uses it) for every tier something refers to."""
    for name, domain in config.domains.items():
        if isinstance(domain.policy, LlmPolicyConfig):
            yield domain.policy.tier, f"[domains.{name}.policy]"
    for name, worker in config.workers.items():
        if isinstance(worker, ModelWorkerConfig):
            yield worker.tier, f"[workers.{name}]"
    if config.router.classifier is not None:
        yield config.router.classifier, "[router] classifier"
