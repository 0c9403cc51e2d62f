"""Configuration: one ``prefrontal.toml``, validated with pydantic.

Owns the config schema, loading, cross-checks and import-path resolution. Imports only
``prefrontal.errors`` and the seam's ``SandboxLimits`` record. A mistake raises ``ConfigError``
naming the file, the key, the offending value and the fix; nothing half-valid is returned.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import re2
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
from prefrontal.seam.limits import SandboxLimits

DEFAULT_FILE = "prefrontal.toml"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


MAX_FILE_BYTES = 1024 * 1024  # a config is a few KiB; a bigger "file" is a mistake
MAX_TEXT = 8_000  # a charter or instructions enter every context; the seam's text bound


class _Section(BaseModel):
    # inf and nan are never meant: a budget of inf is no budget.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# The phones a pronunciation may use: ARPABET as PocketSphinx's US English model knows it.
_ARPABET = "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH"
PHONES = frozenset(f"{_ARPABET} UH UW V W Y Z ZH".split(" "))


def parse_phones(text: str) -> tuple[str, ...]:
    """``"K IY1 R AH"`` as ``("K", "IY", "R", "AH")``: ARPABET phones separated by spaces,
    stress digits allowed and dropped. ``ValueError`` naming a phone outside ``PHONES``."""
    phones = tuple(p.upper().rstrip("012") for p in text.split())
    for given, phone in zip(text.split(), phones, strict=True):
        if phone not in PHONES:
            raise ValueError(
                f"{given!r} in {text!r} is not a phone of the recogniser's set (ARPABET: "
                f"{' '.join(sorted(PHONES))}); write phones separated by spaces, e.g. 'K IY R AH'"
            )
    if not phones:
        raise ValueError(
            "a pronunciation is empty; write phones separated by spaces, e.g. 'K IY R AH'"
        )
    return phones


class PrincipalConfig(_Section):
    name: str = "you"
    # How the principal's name sounds, when the sense's own readings of it miss: ARPABET
    # phones, e.g. ["K IY R AH"]; heard alongside the derived ones.
    name_pronunciations: tuple[str, ...] = Field(default=(), max_length=16)
    interruptions_per_day: int = Field(default=5, ge=0, le=10_000)
    # Run for each interrupting inbox item: a command ({title}, {text}, {item_id}, {domain},
    # {priority} filled in) and/or a webhook URL that receives the item as JSON.
    notify: list[str] = Field(default_factory=list[str], max_length=64)
    notify_url: str | None = Field(default=None, pattern=r"^https?://")
    notify_retries: int = Field(default=3, ge=0, le=10)

    @field_validator("name_pronunciations")
    @classmethod
    def _phones(cls, pronunciations: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(" ".join(parse_phones(p)) for p in pronunciations)


class JournalConfig(_Section):
    url: str = "sqlite:///prefrontal.db"
    synchronous: Literal["OFF", "NORMAL", "FULL"] = "NORMAL"
    # A snapshot of the folded state every this many events (0: only at a clean stop).
    snapshot_every: int = Field(default=10_000, ge=0, le=10_000_000)


class ExecutorConfig(_Section):
    concurrency: int = Field(default=32, ge=1, le=10_000)


StructuredMode = Literal["tool", "json_schema", "json_object", "prompted"]
KnownServer = Literal["llama.cpp", "ollama", "vllm", "openai"]


class EndpointTier(_Section):
    """An OpenAI-compatible server (Ollama, llama.cpp's server, vLLM) reached by base URL.

    ``structured`` says how output is forced (default: the one that works on ``server``);
    every call sends ``max_tokens`` and ends within ``timeout_s``. A local model has no
    known price: give ``usd_per_million_tokens`` so budgets bind, or it is shown unpriced.
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    server: KnownServer = "openai"
    structured: StructuredMode | None = None
    max_tokens: int = Field(default=1024, ge=1)
    timeout_s: float = Field(default=60.0, gt=0)
    usd_per_million_tokens: float | None = Field(default=None, ge=0)


ModelTier = str | EndpointTier


class RouterConfig(_Section):
    classifier: str | None = None
    min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)


class GuardsConfig(_Section):
    max_commissions_per_event: int = Field(default=8, ge=1, le=64)
    max_handoff_depth: int = Field(default=3, ge=0, le=100)
    max_identical_commissions: int = Field(default=2, ge=1, le=1000)
    max_decisions_per_thread: int = Field(default=24, ge=1, le=10_000)
    max_idle_decisions: int = Field(default=4, ge=1, le=1000)


class _WorkerBase(_Section):
    """Keys every worker has. Taint: ``trusted`` declares that the worker brings in no
    outside content (its free text is readable by orchestrators); ``consequential`` that its
    effects leave the system (pay, send, write, delete), so a commission carrying tainted
    values needs the principal's approval, except in the inputs named in ``tainted_inputs``.
    """

    description: str = Field(default="", max_length=MAX_TEXT)
    timeout_s: float = Field(default=30.0, gt=0, le=86_400)
    retries: int = Field(default=2, ge=0, le=10)
    concurrency: int = Field(default=8, ge=1, le=10_000)
    max_output_bytes: int = Field(default=64 * 1024, ge=64, le=64 * 1024)
    trusted: bool = False
    consequential: bool = False
    tainted_inputs: tuple[str, ...] = ()


class ToolWorkerConfig(_WorkerBase):
    """A typed Python function. ``cost_usd`` prices a call to a paid service (SMS, an API)."""

    kind: Literal["tool"] = "tool"
    function: str
    cost_usd: float = Field(default=0.0, ge=0, le=1000)
    run_in: Literal["thread", "process"] = "thread"


class ModelWorkerConfig(_WorkerBase):
    """A worker that calls a model tier: its tier and its per-commission ceilings."""

    tier: str
    max_tokens: int = Field(default=1024, ge=1, le=1_000_000)
    max_cost_usd: float = Field(default=0.05, ge=0, le=1000)


class LlmWorkerConfig(ModelWorkerConfig):
    """A cheap-tier model with instructions and an output type, fresh for each commission."""

    kind: Literal["llm"]
    instructions: str = Field(max_length=MAX_TEXT)
    output: str | None = None


class CodeWorkerConfig(ModelWorkerConfig):
    """A cheap-tier model writes a short Python program; the sandbox runs it; its result goes up.

    A domain may commission it only if it lists it in its ``workers``. ``limits`` cap each
    run; ``interpreter`` is the Python inside the sandbox (default: the one running
    Prefrontal); ``repairs`` is how many times the model may rewrite a program that failed.
    """

    kind: Literal["code"]
    instructions: str = Field(default="", max_length=MAX_TEXT)
    timeout_s: float = Field(default=120.0, gt=0, le=86_400)
    retries: int = Field(default=0, ge=0, le=10)
    concurrency: int = Field(default=2, ge=1, le=10_000)
    limits: SandboxLimits = Field(default_factory=SandboxLimits)
    interpreter: str | None = None
    sandbox_uid: int = Field(default=65534, ge=1, le=2**31 - 2)
    repairs: int = Field(default=1, ge=0, le=3)
    max_tokens: int = Field(default=2048, ge=1, le=1_000_000)
    files_dir: str = "code-files"


def _worker_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "tool"))
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
    instructions: str = Field(default="", max_length=MAX_TEXT)
    retries: int = Field(default=2, ge=0, le=5)


class HearingSenseConfig(_Section):
    """Two or more microphones: voice, direction, words and sound events."""

    kind: Literal["hearing"]
    source: str
    spacing_m: float = Field(default=0.18, gt=0.0, le=2.0)
    channels: int = Field(default=2, ge=2, le=2)
    listen_for: tuple[str, ...] = ()
    # One voice-detector window (512 samples at 16 kHz): a voice's close ends its block.
    block_s: float = Field(default=0.032, gt=0.0, le=1.0)
    # Hear a voice's words while it speaks, from this far into it: its percept comes about
    # 250 ms sooner, but the name is heard less often (README: Latency, again). Off: None.
    live_after_s: float | None = Field(default=None, ge=0.5, le=10.0)
    stall_s: float = Field(default=10.0, gt=0, le=3600)


class TelemetrySenseConfig(_Section):
    """Sensor readings from a CSV or JSONL file, or a generator."""

    kind: Literal["telemetry"]
    source: str
    channels: tuple[Annotated[str, Field(max_length=64)], ...] = ()
    stall_s: float = Field(default=10.0, gt=0, le=3600)


SenseConfig = Annotated[HearingSenseConfig | TelemetrySenseConfig, Field(discriminator="kind")]


class EvidenceConfig(_Section):
    folder: str = "evidence"
    max_age_s: float = Field(default=3600.0, gt=0, le=365 * 86_400)
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024, le=2**50)


class BudgetConfig(_Section):
    usd_per_day: float = Field(default=1.0, ge=0, le=1_000_000)
    context_tokens: int = Field(default=4000, ge=256, le=2_000_000)


class DomainConfig(_Section):
    charter: str = Field(max_length=MAX_TEXT)
    never: tuple[Annotated[str, Field(max_length=1000)], ...] = Field(default=(), max_length=64)
    policy: str | LlmPolicyConfig
    workers: tuple[str, ...] = ()
    senses: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    budget: BudgetConfig = BudgetConfig()
    recent_events: int = Field(default=12, ge=1, le=1000)
    memory_notes: int = Field(default=40, ge=1, le=10_000)
    interruptions_per_day: int | None = Field(default=None, ge=0, le=10_000)
    join_reports: bool | None = None
    decision_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    inline: bool = False
    """A sync rule policy measured cheap decides inside the transaction that journals its event
    (one commit per step, no thread hop); a rule that then blocks holds the driver up."""

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
            compile_pattern(pattern)
        return patterns


def compile_pattern(pattern: str) -> Any:
    """A routing pattern, compiled for RE2: matching takes time linear in the text.

    Python's ``re`` backtracks, and a pattern like ``^(a+)+$`` then takes exponential time
    on a request of a few dozen characters; RE2 has no backreferences or look-arounds, so
    it cannot. Patterns match case-insensitively.
    """
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = (
            error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else error
        )
        raise ValueError(
            f"pattern {pattern!r} is not a regular expression RE2 accepts ({reason}); "
            "routing patterns use RE2 syntax, without backreferences or look-arounds"
        ) from None


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
    data = tomllib_loads(file, _read_config(file))
    return parse_config(data, source=str(file), base_dir=file.resolve().parent)


def _read_config(file: Path) -> str:
    """The file's text: a regular file of UTF-8, at most ``MAX_FILE_BYTES``."""
    if not file.exists():
        raise ConfigError(
            f"{file}: no such file. Run 'prefrontal init' to write a starter config, "
            "or pass --config PATH."
        )
    if file.is_dir():
        raise ConfigError(
            f"{file}: is a folder, not a config file; pass the prefrontal.toml inside it, "
            f"e.g. --config {file / DEFAULT_FILE}."
        )
    try:
        with file.open("rb") as stream:  # a device such as /dev/zero never ends: read a cap
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{file}: cannot be read ({error.strerror}); check it.") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            f"{file}: is larger than {MAX_FILE_BYTES:,} bytes; a config is a few KiB. "
            "Point --config at your prefrontal.toml."
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{file}: is not UTF-8 text (byte {error.start} is {raw[error.start]:#04x}); "
            "save it as UTF-8, or point --config at your prefrontal.toml."
        ) from None


def tomllib_loads(file: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: TOML syntax error: {error}. Fix that line.") from error
    except RecursionError:
        raise ConfigError(
            f"{file}: values are nested too deeply to read; a config needs a few levels."
        ) from None


def parse_config(data: dict[str, Any], *, source: str, base_dir: Path) -> Config:
    """Validate a parsed TOML document; ``source`` names it in errors."""
    try:
        config = Config.model_validate({**data, "base_dir": base_dir, "source": source})
    except ValidationError as error:
        raise _config_error(source, error) from None
    except RecursionError:
        raise ConfigError(
            f"{source}: values are nested too deeply; a config needs a few levels."
        ) from None
    _cross_check(config)
    return config


def _config_error(source: str, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    location = [str(p) for p in first["loc"] if not str(p).startswith(("function-", "str"))]
    # Drop pydantic's union branch names ("ToolWorkerConfig", "LlmPolicyConfig", "tool").
    key = ".".join(p for p in location if not p[:1].isupper() and p not in ("tool", "llm"))
    value = first.get("input")
    given = "" if isinstance(value, dict) else f" = {shown(value)}"
    fix = _FIXES.get(first["type"], "see the config reference in the README")
    others = error.error_count() - 1
    more = f" ({others} more {'problem' if others == 1 else 'problems'})" if others else ""
    return ConfigError(f"{source}: {key}{given}: {first['msg']}; {fix}.{more}")


def shown(value: Any) -> str:
    """A value as an error message quotes it: its repr, cut when long."""
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:160]}... ({len(text):,} characters)"


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
            if domain.inline:
                raise ConfigError(
                    f"{src}: [domains.{name}] inline = true needs a rule policy; an LLM "
                    "policy always decides outside the journal's transaction. Remove it."
                )
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
    _check_journal_url(config)


def _check_journal_url(config: Config) -> None:
    """A relative SQLite path stays in the config's folder; elsewhere, say so absolutely."""
    url = config.journal.url
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/"):
        return
    relative = url[len(prefix) :]
    if relative in ("", ":memory:"):
        return
    folder = config.base_dir.resolve()
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder):
        raise ConfigError(
            f"{config.source}: [journal] url = {url!r} leads outside the config's folder "
            f"(to {target}); a relative journal path stays beside the config. If you mean "
            f"that file, write it absolutely: url = 'sqlite:///{target}'."
        )


def _check_tier(src: str, where: str, tier: str, tiers: list[str]) -> None:
    if tier not in tiers:
        raise ConfigError(
            f"{src}: {where} = {tier!r} is not a declared tier; declared tiers: {tiers}. "
            f'Add it under [models], e.g. {tier} = "anthropic:claude-haiku-4-5".'
        )


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
