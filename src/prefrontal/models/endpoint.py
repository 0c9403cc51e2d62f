"""An OpenAI-compatible server's model (llama.cpp, Ollama, vLLM), with its call settings."""

from __future__ import annotations

from dataclasses import replace

import httpx2
from openai import AsyncOpenAI, DefaultAsyncHttpxClient
from openai.types.chat import ChatCompletionMessageParam
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.profiles.openai import OpenAIModelProfile
from pydantic_ai.providers.openai import OpenAIProvider

from prefrontal.models.calling import CallSettings, require_tags


class EndpointModel(OpenAIChatModel):
    """``OpenAIChatModel`` speaking the way its tier's ``calling`` says, with no client retries."""

    def __init__(self, model_name: str, *, base_url: str, api_key: str, calling: CallSettings):
        # Local servers ignore max_completion_tokens: send max_tokens. Only the chosen mode's
        # response_format is allowed, so pydantic-ai never switches to another one.
        profile = OpenAIModelProfile(
            openai_chat_supports_max_completion_tokens=False,
            supports_json_schema_output=calling.structured == "json_schema",
            supports_json_object_output=calling.structured == "json_object",
            default_structured_output_mode="tool",
        )
        # No idle pooled connections: a client outlives the event loop that opened them
        # (one per test, or per CLI command), and closing them later would need that loop.
        http = DefaultAsyncHttpxClient(
            timeout=calling.timeout_s, limits=httpx2.Limits(max_keepalive_connections=0)
        )
        client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            timeout=calling.timeout_s,
            http_client=http,
        )
        super().__init__(model_name, provider=OpenAIProvider(openai_client=client), profile=profile)
        self.calling = calling

    def _map_model_response(self, message: ModelResponse) -> ChatCompletionMessageParam | None:
        """An answer that was only a tool call goes back with ``""`` as content, not null.

        llama.cpp's Python server refuses a null content (HTTP 500), which made every output
        retry after a malformed tool call fail; the hosted API accepts either.
        """
        mapped = super()._map_model_response(message)
        if mapped is not None and mapped["role"] == "assistant" and mapped.get("content") is None:
            mapped["content"] = ""
        return mapped

    def customize_request_parameters(
        self, model_request_parameters: ModelRequestParameters
    ) -> ModelRequestParameters:
        """The output schemas with their unions' tags required (servers make grammars of them)."""
        found = super().customize_request_parameters(model_request_parameters)
        tools = [
            replace(tool, parameters_json_schema=require_tags(tool.parameters_json_schema))
            for tool in found.output_tools
        ]
        output = found.output_object
        if output is not None:
            output = replace(output, json_schema=require_tags(output.json_schema))
        return replace(found, output_tools=tools, output_object=output)
