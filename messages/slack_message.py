"""A rendered message: the notification text and its blocks."""

from dataclasses import dataclass, field
from typing import Any

from messages.rendering import render


@dataclass(frozen=True)
class SlackMessage:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_template(cls, template_name: str, **context: Any) -> "SlackMessage":
        data = render(template_name, **context)
        return cls(text=data["text"], blocks=data.get("blocks", []))

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}
