"""Flowdock REST client: models, message builders and validation, errors.

The public names are imported on first use, so importing one light module (the validator,
say) does not load the HTTP client and its dependencies.
"""

from __future__ import annotations

from flowdock_desktop._lazy import lazy_exports

_EXPORTS = {
    "Exchange": "client",
    "ExchangeHook": "client",
    "FlowdockClient": "client",
    "WAIT_HEADER": "client",
    "AuthenticationError": "errors",
    "FlowdockError": "errors",
    "GoneError": "errors",
    "NetworkError": "errors",
    "NotFoundError": "errors",
    "PermissionDeniedError": "errors",
    "RateLimitedError": "errors",
    "ServerError": "errors",
    "ValidationError": "errors",
    "error_from_response": "errors",
    "create_http_client": "http",
    "Author": "messages",
    "PayloadError": "messages",
    "Status": "messages",
    "ThreadField": "messages",
    "ThreadMessage": "messages",
    "ThreadState": "messages",
    "ViewAction": "messages",
    "suggest_external_thread_id": "messages",
    "Action": "models",
    "Application": "models",
    "Flow": "models",
    "Message": "models",
    "Organization": "models",
    "Source": "models",
    "Thread": "models",
    "ThreadSource": "models",
    "User": "models",
    "redact_body": "redact",
    "redact_headers": "redact",
    "redact_json": "redact",
    "redact_url": "redact",
    "RetryCancelledError": "retry",
    "RetryPolicy": "retry",
    "call_with_retries": "retry",
    "is_retryable_request": "retry",
    "STATUS_COLORS": "validation",
    "validate_message": "validation",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
