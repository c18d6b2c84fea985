"""The answers of the data planes: the APIM gateway (services/apimanagement/gateway/) and the model hosts behind it
(services/cognitiveservices/modelhost.py)."""
from __future__ import annotations

import json

from aiohttp import web


class Answer(Exception):
    """A finished response raised from deep in the pipeline (an error the client sees as is).

    `events` makes it a server-sent event stream (`data: {event}` lines, then `data: [DONE]`); `usage` is what a
    model call consumed (streamed or not); `error` is (source, reason) of an answer the gateway itself gave, as
    its resource log reports it (context.LastError); `llm` is what a model host's successful answer tells the
    gateway's LLM log (deployment, model, request and response messages)."""

    def __init__(self, status: int, body: dict | None, headers: dict | None = None, *, events: list | None = None,
                 usage: dict | None = None, error: tuple[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, dict(headers or {})
        self.events, self.usage, self.error = events, usage or {}, error
        self.raw: bytes | None = None   # a body set as text by return-response or set-body
        self.llm: dict | None = None

    def chunks(self) -> list[bytes]:
        if self.raw is not None:
            return [self.raw]
        if self.events is None:
            return [json.dumps(self.body).encode()]
        return [f"data: {json.dumps(event)}\n\n".encode() for event in self.events] + [b"data: [DONE]\n\n"]

    async def send(self, request: web.Request) -> web.StreamResponse:
        if self.raw is not None:
            return web.Response(body=self.raw, status=self.status, headers=self.headers)
        if self.events is None:
            return web.Response(body=self.chunks()[0], status=self.status, headers=self.headers,
                                content_type="application/json")
        response = web.StreamResponse(status=self.status, headers=self.headers)
        response.content_type = "text/event-stream"
        await response.prepare(request)
        for chunk in self.chunks():
            await response.write(chunk)
        await response.write_eof()
        return response


def apim_error(status: int, message: str, headers: dict | None = None, *, source: str = "configuration",
               reason: str = "") -> Answer:
    reason = reason or (headers or {}).get("x-localazure-error") or message
    return Answer(status, {"statusCode": status, "message": message}, headers, error=(source, reason))


def account_error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message}})


def invalid_request(message: str, param: str | None = None) -> Answer:
    """Azure OpenAI's invalid-request body (OpenAI's error object)."""
    return Answer(400, {"error": {"message": message, "type": "invalid_request_error", "param": param,
                                  "code": None}})
