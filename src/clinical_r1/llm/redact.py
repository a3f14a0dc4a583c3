"""Error texts without the case text a server echoed back into them.

Some servers quote the request in their error ("invalid prompt: '62-year-old man with ...'"); such a
message is stored in rejects.jsonl and in evaluation results, so unredacted it copies patient text into
files and logs that are not meant to hold it. `strip_echo` replaces every stretch of at least
`MIN_ECHO` characters that also occurs in the request's user messages (as sent, or JSON-escaped as a
server quotes it) with `[case text removed]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from clinical_r1.llm.types import ChatRequest

MIN_ECHO = 10  # characters shared with the case before a stretch counts as an echo
PLACEHOLDER = "[case text removed]"


def user_texts(request: ChatRequest) -> list[str]:
    """The text of the request's user messages (the case; system prompts are not patient data)."""
    texts = []
    for message in request.messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):  # OpenAI content parts
            texts += [p.get("text", "") for p in content if isinstance(p, dict)]
    return [t for t in texts if t]


def strip_echo(message: str, texts: Iterable[str], min_chars: int = MIN_ECHO) -> str:
    """`message` with every run of >= min_chars characters found in one of `texts` replaced."""
    covered = bytearray(len(message))
    for text in texts:
        for variant in {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}:
            if len(variant) < min_chars:
                continue
            grams = {variant[i : i + min_chars] for i in range(len(variant) - min_chars + 1)}
            for i in range(len(message) - min_chars + 1):
                if message[i : i + min_chars] in grams:
                    covered[i : i + min_chars] = b"\x01" * min_chars
    if not any(covered):
        return message
    parts: list[str] = []
    for i, ch in enumerate(message):
        if not covered[i]:
            parts.append(ch)
        elif i == 0 or not covered[i - 1]:
            parts.append(PLACEHOLDER)
    return "".join(parts)
