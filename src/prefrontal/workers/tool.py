"""ToolWorker: a typed Python function; its input and output schemas come from type hints."""

from __future__ import annotations

import functools
import inspect
import pickle
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, get_type_hints

import anyio.to_process
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

import prefrontal.offload as offload
from prefrontal.errors import PrefrontalError, RecordError, WorkerError
from prefrontal.seam.roster import WorkerSpec
from prefrontal.seam.usage import Usage
from prefrontal.seam.work import CommissionContext, WorkerResult

RunIn = Literal["thread", "process"]


class ToolWorker:
    """Wraps ``function``. A parameter annotated ``CommissionContext`` receives the context.

    Async functions are awaited. Plain functions never run on the event loop: with
    ``run_in="thread"`` (the default, cheap) they run on a daemon thread, which a time limit
    abandons (the report says ``worker_timeout`` on time, but Python cannot stop a thread,
    so the call runs on unobserved); with ``run_in="process"`` they run in a pool of worker
    processes, and a time limit kills the process: the one way to stop CPU-bound or hung
    code. A process worker's function must be importable by name and take no
    ``CommissionContext``. ``cost_usd`` prices each call (a paid API, an SMS) so budgets
    see it.
    """

    def __init__(
        self,
        name: str,
        function: Callable[..., Any],
        *,
        description: str = "",
        cost_usd: float = 0.0,
        run_in: RunIn = "thread",
    ) -> None:
        self.name = name
        self.function = function
        self.run_in: RunIn = run_in
        self.cost_usd = Decimal(str(cost_usd))
        hints = get_type_hints(function)
        self._context_param: str | None = None
        fields: dict[str, Any] = {}
        for param in inspect.signature(function).parameters.values():
            annotation = hints.get(param.name, Any)
            if annotation is CommissionContext:
                self._context_param = param.name
                continue
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (annotation, default)
        self._inputs: type[BaseModel] = create_model(
            f"{name}_inputs", __config__=ConfigDict(extra="forbid"), **fields
        )
        self._output: TypeAdapter[Any] = TypeAdapter(hints.get("return", Any))
        self._async = inspect.iscoroutinefunction(function)
        if run_in == "process" and not self._async:
            _check_process_safe(name, function, self._context_param)
        doc = inspect.getdoc(function) or ""
        self._spec = WorkerSpec(
            name=name,
            kind="tool",
            description=description or doc.split("\n\n")[0],
            input_schema=self._inputs.model_json_schema(),
            output_schema=self._output.json_schema(),
        )

    @property
    def spec(self) -> WorkerSpec:
        return self._spec

    async def run(self, inputs: dict[str, Any], context: CommissionContext) -> WorkerResult:
        try:
            parsed = self._inputs.model_validate(inputs)
        except ValidationError as error:
            raise RecordError(
                f"inputs of worker {self.name!r} do not match its schema: {_first(error)}. "
                f"Expected fields: {list(self._inputs.model_fields)}."
            ) from None
        kwargs = {k: getattr(parsed, k) for k in self._inputs.model_fields}
        if self.cost_usd:
            context.record(Usage(tier="tool", requests=1, cost_usd=self.cost_usd))
        if self._context_param is not None:
            kwargs[self._context_param] = context
        try:
            call = functools.partial(self.function, **kwargs)
            if self._async:
                raw = await call()
            elif self.run_in == "process":
                raw = await anyio.to_process.run_sync(call, cancellable=True)
            else:
                raw = await offload.run_sync(call, name=f"worker {self.name}")
        except PrefrontalError:
            raise
        except Exception as error:
            raise WorkerError(
                f"worker {self.name!r} raised {type(error).__name__}: {error}"
            ) from error
        try:
            output = self._output.dump_python(self._output.validate_python(raw), mode="json")
        except ValidationError as error:
            raise RecordError(
                f"output of worker {self.name!r} violates its schema: {_first(error)}; "
                f"got {str(raw)[:200]!r}. Fix the function or its return annotation."
            ) from None
        return WorkerResult(output=output)


def _check_process_safe(name: str, function: Callable[..., Any], context: str | None) -> None:
    if context is not None:
        raise RecordError(
            f"worker {name!r}: a function that takes a CommissionContext ({context!r}) cannot "
            "run in a worker process; use run_in = 'thread', or make it async."
        )
    try:
        pickle.dumps(function)
    except Exception as error:
        raise RecordError(
            f"worker {name!r}: {function!r} cannot be sent to a worker process ({error}); "
            "define it at the top level of an importable module, or use run_in = 'thread'."
        ) from None


def _first(error: ValidationError) -> str:
    item = error.errors()[0]
    where = ".".join(str(p) for p in item["loc"]) or "value"
    return f"{where}: {item['msg']} (got {item.get('input')!r})"
