"""Assembly: the parts of a system built from its ``Config``.

Workers, policies and senses are built here, and nowhere else, so that ``prefrontal run``,
``prefrontal status`` (through ``check_config``), replay and the tests build them the same
way: a config that ``status`` accepts is one that ``run`` starts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from prefrontal.config import (
    CodeWorkerConfig,
    Config,
    LlmPolicyConfig,
    LlmWorkerConfig,
    ModelWorkerConfig,
    ToolWorkerConfig,
)
from prefrontal.errors import ConfigError, RecordError
from prefrontal.policies.base import Policy
from prefrontal.policies.rule import RuleFunction, RulePolicy
from prefrontal.references import load_object
from prefrontal.runtime.executor import Executor
from prefrontal.runtime.handles import HandleResolver
from prefrontal.runtime.inbox import Inbox
from prefrontal.runtime.orchestrator import Orchestrator
from prefrontal.runtime.router import Router
from prefrontal.seam.events import WorkerLimits
from prefrontal.seam.roster import WorkerSpec
from prefrontal.seam.work import Worker
from prefrontal.workers.tool import ToolWorker

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from prefrontal.clock import Clock
    from prefrontal.journal.base import Journal
    from prefrontal.runtime.senses import SenseHost
    from prefrontal.senses.base import Sense
    from prefrontal.senses.evidence import EvidenceStore


@dataclass(frozen=True)
class Parts:
    """Everything a ``System`` runs besides its journal and clock, built and checked."""

    workers: dict[str, Worker]
    router: Router
    inbox: Inbox
    executor: Executor
    orchestrators: dict[str, Orchestrator]
    sense_host: SenseHost | None = None
    evidence: EvidenceStore | None = None


def build_parts(
    config: Config,
    *,
    journal: Journal,
    clock: Clock,
    models: Mapping[str, Model],
    workers: Mapping[str, Worker] | None = None,
    senses: Mapping[str, Sense] | None = None,
) -> Parts:
    """Build a system's parts from ``config`` on resolved ``models``.

    ``workers`` override or add workers by name; ``senses`` replace the configured senses.
    """
    built = build_workers(config, models)
    built.update(workers or {})
    sense_host: SenseHost | None = None
    evidence: EvidenceStore | None = None
    if senses is not None or any(d.senses for d in config.domains.values()):
        sense_host, evidence = build_sense_host(config, clock=clock, given=senses)
    executor = Executor(
        built,
        clock=clock,
        concurrency=config.executor.concurrency,
        per_worker={n: w.concurrency for n, w in config.workers.items()},
        max_output_bytes={n: w.max_output_bytes for n, w in config.workers.items()},
        evidence=evidence,
        handles=HandleResolver(journal),
        trusted=[n for n, w in config.workers.items() if w.trusted],
    )
    orchestrators = {
        name: Orchestrator(
            name,
            config=config,
            policy=build_policy(config, name, models),
            roster=build_roster(config, built, name),
            clock=clock,
        )
        for name in config.domains
    }
    classifier = config.router.classifier
    return Parts(
        workers=built,
        router=Router(config, classifier=models.get(classifier) if classifier else None),
        inbox=Inbox(
            config.principal.interruptions_per_day,
            {name: d.interruptions_per_day for name, d in config.domains.items()},
        ),
        executor=executor,
        orchestrators=orchestrators,
        sense_host=sense_host,
        evidence=evidence,
    )


def build_workers(config: Config, models: Mapping[str, Model]) -> dict[str, Worker]:
    """Every worker of ``[workers.NAME]``, on the resolved model tiers."""
    workers: dict[str, Worker] = {}
    for name, spec in config.workers.items():
        if isinstance(spec, LlmWorkerConfig):
            from prefrontal.workers.llm import LlmWorker  # pydantic-ai loads only when used

            output: Any = str
            if spec.output is not None:
                output = load_object(
                    spec.output, where=f"[workers.{name}] output", config=config, code=False
                )
            workers[name] = LlmWorker(
                name,
                models[spec.tier],
                tier=spec.tier,
                instructions=spec.instructions,
                output_type=output,
                description=spec.description,
            )
        elif isinstance(spec, CodeWorkerConfig):
            workers[name] = build_code_worker(config, name, spec, models[spec.tier])
        else:
            workers[name] = _tool_worker(config, name, spec.function, spec.description, spec)
    return workers


def worker_limits(config: Config, name: str) -> WorkerLimits:
    """The default limits of ``[workers.NAME]`` (the defaults of any limit it leaves unset)."""
    worker = config.workers.get(name)
    if isinstance(worker, ModelWorkerConfig):
        return WorkerLimits(
            timeout_s=worker.timeout_s,
            max_tokens=worker.max_tokens,
            max_cost_usd=worker.max_cost_usd,
            retries=worker.retries,
        )
    if isinstance(worker, ToolWorkerConfig):
        return WorkerLimits(
            timeout_s=worker.timeout_s, max_cost_usd=worker.cost_usd, retries=worker.retries
        )
    return WorkerLimits()


def build_roster(
    config: Config, workers: Mapping[str, Worker], domain: str
) -> tuple[WorkerSpec, ...]:
    """What ``domain``'s orchestrator is told of its workers, each with its default limits."""
    return tuple(
        replace(workers[name].spec, limits=worker_limits(config, name))
        for name in config.domains[domain].workers
    )


def _tool_worker(config: Config, name: str, path: str, description: str, spec: Any) -> Worker:
    function = load_object(path, where=f"[workers.{name}] function", config=config)
    if not callable(function):
        raise ConfigError(
            f"{config.source}: [workers.{name}] function = {path!r} is not "
            "callable; point it at a function."
        )
    try:
        return ToolWorker(
            name,
            function,
            description=description,
            cost_usd=spec.cost_usd,
            run_in=spec.run_in,
        )
    except RecordError as error:
        raise ConfigError(f"{config.source}: [workers.{name}] {error}") from None
    except NameError as error:
        raise ConfigError(
            f"{config.source}: [workers.{name}] function = {path!r}: its type "
            f"hints cannot be resolved ({error}); import the names they use at run time."
        ) from None


def build_code_worker(config: Config, name: str, spec: CodeWorkerConfig, model: Model) -> Worker:
    """A code worker on its tier's model and a checked sandbox; no sandbox, no start."""
    from prefrontal.sandbox import Bubblewrap
    from prefrontal.workers.code import INSTRUCTIONS, CodeWorker, Program
    from prefrontal.workers.llm import LlmWorker

    sandbox = Bubblewrap(interpreter=spec.interpreter, uid=spec.sandbox_uid)
    sandbox.check()
    instructions = f"{INSTRUCTIONS}\n\n{spec.instructions}".strip()
    writer = LlmWorker(name, model, tier=spec.tier, instructions=instructions, output_type=Program)
    return CodeWorker(
        name,
        writer,
        sandbox,
        limits=spec.limits,
        repairs=spec.repairs,
        files_dir=config.base_dir / spec.files_dir,
        description=spec.description,
    )


def build_policy(config: Config, name: str, models: Mapping[str, Model]) -> Policy:
    """The policy of domain ``name``: an LLM policy on its tier, or an imported rule."""
    spec = config.domains[name].policy
    if isinstance(spec, LlmPolicyConfig):
        from prefrontal.policies.llm import LlmPolicy  # pydantic-ai loads only when used

        return LlmPolicy(
            models[spec.tier],
            tier=spec.tier,
            instructions=spec.instructions,
            retries=spec.retries,
            decision_timeout_s=config.domains[name].decision_timeout_s,
        )
    rule = load_object(spec, where=f"[domains.{name}] policy", config=config)
    if not callable(rule):
        raise ConfigError(
            f"{config.source}: [domains.{name}] policy = {spec!r} is not callable; point it "
            "at a function (state, event) -> Decision."
        )
    return RulePolicy(cast(RuleFunction, rule), name=spec, inline=config.domains[name].inline)


def build_sense_host(
    config: Config,
    *,
    clock: Clock,
    given: Mapping[str, Sense] | None = None,
) -> tuple[SenseHost, EvidenceStore]:
    """The senses the domains subscribe to; ``System`` resumes each after its last percept."""
    # Senses load numpy and their models; a system without senses never imports them.
    from prefrontal.runtime.senses import SenseHost
    from prefrontal.senses.factory import build_senses, open_evidence

    evidence = open_evidence(config)
    senses = dict(given) if given is not None else build_senses(config, evidence)
    subscribers = {
        sense: tuple(d for d, spec in config.domains.items() if sense in spec.senses)
        for sense in senses
    }
    stall_s = {n: spec.stall_s for n, spec in config.senses.items()}
    return SenseHost(senses, subscribers, clock=clock, stall_s=stall_s), evidence


def check_config(config: Config, *, env: Mapping[str, str] | None = None) -> None:
    """Build everything ``run`` builds (tiers, workers, policies, senses) and start nothing.

    Raises the ``ConfigError`` that ``run`` would raise, so that a config ``status`` accepts
    is one ``run`` starts.
    """
    from prefrontal.models.tiers import resolve_tiers

    models = resolve_tiers(config, env=env)
    build_workers(config, models)
    for name in config.domains:
        build_policy(config, name, models)
    if any(d.senses for d in config.domains.values()):
        from prefrontal.senses.evidence import EvidenceStore
        from prefrontal.senses.factory import build_senses

        with tempfile.TemporaryDirectory(prefix="prefrontal-check-") as scratch:
            build_senses(config, EvidenceStore(Path(scratch)))
