"""ToolWorker: a typed Python function; its input and output schemas come from type hints."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any, get_type_hints

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from prefrontal.errors import PrefrontalError, RecordError, WorkerError
from prefrontal.seam.roster import WorkerSpec
from prefrontal.seam.usage import Usage
from prefrontal.seam.work import CommissionContext, WorkerResult


class ToolWorker:
    """Wraps ``function``. A parameter annotated ``CommissionContext`` receives the context.

    Async functions are awaited; plain functions run in a worker thread so they cannot block
    the runtime. ``cost_usd`` prices each call (a paid API, an SMS) so budgets see it.
    """

    def __init__(
        self,
        name: str,
        function: Callable[..., Any],
        *,
        description: str = "",
        cost_usd: float = 0.0,
    ) -> None:
        self.name = name
        self.function = function
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
            if self._async:
                raw = await self.function(**kwargs)
            else:
                raw = await anyio.to_thread.run_sync(lambda: self.function(**kwargs))
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


def _first(error: ValidationError) -> str:
    item = error.errors()[0]
    where = ".".join(str(p) for p in item["loc"]) or "value"
    return f"{where}: {item['msg']} (got {item.get('input')!r})"
