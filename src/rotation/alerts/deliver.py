"""Delivering fired alerts: a JSON payload to a webhook, a plain-text e-mail over SMTP.

The terminal is the CLI's job; these two are library functions a cron job or a
notebook can call the same way.  Each raises :class:`DeliveryError` naming the
destination when it fails, and the caller then leaves the state unchanged, so the
alerts are sent again on the next run.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

from rotation.alerts.evaluate import Firing
from rotation.alerts.rules import EmailDelivery
from rotation.errors import RotationError


class DeliveryError(RotationError):
    """A webhook or SMTP server could not be reached or refused the alerts."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def payload(firings: Sequence[Firing], as_of: date, rules: str) -> dict[str, Any]:
    """The JSON document posted to a webhook (and printed by ``rotation alerts --json``)."""
    return {
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "as_of": as_of.isoformat(),
        "rules": rules,
        "fired": len(firings),
        "alerts": [
            {"rule": f.rule, "kind": f.kind, "key": f.key, "date": f.event_date.isoformat(), "subject": f.subject,
             "message": f.message, "values": _jsonable(f.values)}
            for f in firings
        ],
    }


def post_webhook(url: str, document: dict[str, Any], *, timeout: float = 10.0) -> int:
    """POST ``document`` as JSON; the HTTP status (raises :class:`DeliveryError` on failure)."""
    from rotation.trading.alerts import post_payload

    try:
        return post_payload(url, document, timeout=timeout)
    except RotationError as exc:
        raise DeliveryError(str(exc)) from None


def email_text(firings: Sequence[Firing], as_of: date, rules: str) -> str:
    lines = [f"rotation alerts as of {as_of.isoformat()} ({rules}): {len(firings)} fired", ""]
    for f in firings:
        lines.append(f"[{f.kind}] {f.rule}: {f.message}")
    lines += ["", "Sent by `rotation alerts`; each event is sent once (state kept in the store)."]
    return "\n".join(lines) + "\n"


def send_email(config: EmailDelivery, firings: Sequence[Firing], as_of: date, rules: str) -> EmailMessage:
    """Send one plain-text message listing ``firings``; returns the message sent."""
    msg = EmailMessage()
    msg["Subject"] = config.subject.format(count=len(firings), as_of=as_of.isoformat())
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.to)
    msg.set_content(email_text(firings, as_of, rules))
    where = f"delivery.email {config.host}:{config.port}"
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                password = os.environ.get(config.password_env)
                if password is None:
                    raise DeliveryError(f"{where}: user {config.user!r} set but ${config.password_env} is empty")
                smtp.login(config.user, password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{where}: could not send the alerts: {exc}") from None
    return msg


__all__ = ["DeliveryError", "email_text", "payload", "post_webhook", "send_email"]
