"""A local transformers model (any HF folder, hub id or GGUF file): the tiny model, small local runs.

Generation runs in one worker thread so the event loop stays free. Requests that share sampling
parameters are batched (left padding, up to `spec.batch_size`), also across concurrent generate()
calls: requests that arrive while a batch is generating go together in the next one. `stop`
strings end generation and are cut from the text, as the OpenAI API does. `seed` seeds torch
before the batch, so a seeded request is reproducible for the same batch composition (the cache
makes reruns identical anyway). `json_mode` is not enforced locally (no constrained decoding).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from clinical_r1.llm.base import CachedBackend, LLMError, OnDone
from clinical_r1.llm.gguf import is_gguf_path, load_gguf
from clinical_r1.llm.types import ChatRequest, ChatResponse
from clinical_r1.manifest import fingerprint_path

log = logging.getLogger(__name__)


class LocalLLM(CachedBackend):
    backend_name = "local"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-llm")
        self._load_lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self._device: str = "cpu"
        # Requests waiting for the worker thread, batched across concurrent generate() calls.
        self._queue: list[tuple[tuple, ChatRequest, asyncio.Future[ChatResponse]]] = []
        self._queue_loop: asyncio.AbstractEventLoop | None = None
        self._dispatcher: asyncio.Task | None = None

    def cache_identity(self) -> dict:
        """A local folder can be retrained in place: its files' sizes and times are part of the key."""
        identity = super().cache_identity()
        folder = Path(self.spec.model).expanduser()
        if folder.is_file():  # a GGUF file
            stat = folder.stat()
            identity["model"] = str(folder.resolve())
            identity["fingerprint"] = f"{stat.st_size}:{stat.st_mtime_ns}"
        elif folder.is_dir():
            identity["model"] = str(folder.resolve())
            identity["fingerprint"] = fingerprint_path(folder, how="stat", recursive=False)[:16]
        return identity

    # -- loading --------------------------------------------------------------------------------------
    def _load(self) -> tuple[Any, Any]:
        with self._load_lock:
            if self._model is None:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                from clinical_r1.threads import apply_threads

                spec = self.spec
                threads = apply_threads(spec.threads)
                device = spec.device
                if device == "auto":
                    device = "cuda" if torch.cuda.is_available() else "cpu"
                dtype: Any = spec.dtype
                if dtype == "auto":
                    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
                else:
                    dtype = getattr(torch, dtype)
                if is_gguf_path(spec.model):  # de-quantised on load (llm/gguf.py)
                    tokenizer, model = load_gguf(spec.model, dtype)
                else:
                    tokenizer = AutoTokenizer.from_pretrained(spec.model)
                    model = AutoModelForCausalLM.from_pretrained(spec.model, dtype=dtype)
                tokenizer.padding_side = "left"
                if tokenizer.pad_token is None:
                    tokenizer.pad_token = tokenizer.eos_token
                model = model.to(device).eval()
                self._tokenizer, self._model, self._device = tokenizer, model, device
                log.info("loaded %s on %s (%s, %d CPU threads)", spec.model, device, dtype, threads)
            return self._tokenizer, self._model

    def _eos_ids(self) -> set[int]:
        eos = self._model.generation_config.eos_token_id
        if eos is None:
            eos = self._tokenizer.eos_token_id
        return set(eos if isinstance(eos, list) else [eos])

    def _encode(self, requests: list[ChatRequest]):
        tokenizer, _ = self._load()
        prompts = [
            tokenizer.apply_chat_template(r.messages, tokenize=False, add_generation_prompt=True)
            for r in requests
        ]
        return tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(
            self._device
        )

    def _generation_kwargs(self, request: ChatRequest) -> dict:
        kwargs: dict = {
            "max_new_tokens": request.max_tokens,
            # Greedy decoding gives one answer; _generate_batch repeats it n times.
            "num_return_sequences": request.n if request.temperature > 0 else 1,
            "pad_token_id": self._tokenizer.pad_token_id,
        }
        if request.temperature > 0:
            kwargs.update(do_sample=True, temperature=request.temperature, top_p=request.top_p)
        else:
            kwargs.update(do_sample=False)
        if request.repetition_penalty is not None:
            kwargs["repetition_penalty"] = request.repetition_penalty
        return kwargs

    def _stopping(self, request: ChatRequest, prompt_length: int, extra: list | None = None):
        from transformers import StoppingCriteriaList

        criteria = list(extra or [])
        if request.stop:
            criteria.append(_StopOnText(self._tokenizer, list(request.stop), prompt_length))
        return StoppingCriteriaList(criteria)

    # -- batched generation (worker thread) ----------------------------------------------------------
    def _generate_batch(self, requests: list[ChatRequest]) -> list[ChatResponse]:
        """Requests with identical sampling parameters (the first one's are used)."""
        import torch

        start = time.perf_counter()
        tokenizer, model = self._load()
        head = requests[0]
        encoded = self._encode(requests)
        if head.seed is not None:
            torch.manual_seed(head.seed)
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                **self._generation_kwargs(head),
                stopping_criteria=self._stopping(head, encoded["input_ids"].shape[1]),
            )
        latency = time.perf_counter() - start
        new_tokens = output[:, encoded["input_ids"].shape[1] :].tolist()
        if head.temperature <= 0:
            new_tokens = [row for row in new_tokens for _ in range(head.n)]
        prompt_lengths = encoded["attention_mask"].sum(dim=1).tolist()
        eos_ids, pad_id = self._eos_ids(), tokenizer.pad_token_id
        responses = []
        for r, request in enumerate(requests):
            texts, reasons, used = [], [], 0
            for row in new_tokens[r * head.n : (r + 1) * head.n]:
                text, reason, count = _finish(
                    row, tokenizer, eos_ids, pad_id, request.stop, request.max_tokens
                )
                texts.append(text)
                reasons.append(reason)
                used += count
            responses.append(
                ChatResponse(
                    texts=texts,
                    finish_reasons=reasons,
                    prompt_tokens=int(prompt_lengths[r]),
                    completion_tokens=used,
                    latency_s=latency,
                    model=self.spec.model,
                )
            )
        return responses

    async def _run(self, jobs: list[tuple[int, ChatRequest]], on_done: OnDone) -> None:
        loop = asyncio.get_running_loop()
        if self._model is None:  # (no await once loaded: concurrent callers then queue in one tick)
            try:  # a model that will not load is not one request's problem: say so once
                await loop.run_in_executor(self._executor, self._load)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                raise LLMError(f"cannot load local model {self.spec.model!r}: {reason}") from exc
        if self._queue_loop is not loop:  # a new event loop (e.g. another generate_sync call)
            self._queue, self._queue_loop, self._dispatcher = [], loop, None
        waiting = []
        for position, request in jobs:
            future: asyncio.Future[ChatResponse] = loop.create_future()
            self._queue.append((_batch_key(request), request, future))
            waiting.append((position, future))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = loop.create_task(self._dispatch(loop))

        async def deliver(position: int, future: asyncio.Future[ChatResponse]) -> None:
            answer = await future
            if answer.ok:
                self.ledger.add_call(
                    self.spec.label,
                    answer.prompt_tokens,
                    answer.completion_tokens,
                    answer.latency_s,
                    self.spec.price_in_per_mtok,
                    self.spec.price_out_per_mtok,
                )
            on_done(position, answer)

        await asyncio.gather(*(deliver(position, future) for position, future in waiting))

    async def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Drain the queue in batches of compatible requests. Requests from concurrent callers (e.g.
        synthesis tasks, one record each) pile up while a batch generates and go together next."""
        await asyncio.sleep(0)  # let callers scheduled in the same tick join the first batch
        while self._queue:
            # A caller that was cancelled while waiting (e.g. an API client that left) is not generated.
            self._queue[:] = [item for item in self._queue if not item[2].done()]
            if not self._queue:
                break
            key = self._queue[0][0]
            batch = [item for item in self._queue if item[0] == key][: self.spec.batch_size]
            for item in batch:
                self._queue.remove(item)
            answers = await self._answer_batch(loop, [request for _, request, _ in batch])
            for (_, _, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)

    async def _answer_batch(
        self, loop: asyncio.AbstractEventLoop, requests: list[ChatRequest]
    ) -> list[ChatResponse]:
        """Generate a batch; if it fails, try its requests one by one so only a bad one fails."""
        try:
            return await loop.run_in_executor(self._executor, self._generate_batch, requests)
        except Exception as exc:
            if len(requests) > 1:
                log.warning("local batch of %d failed (%s); retrying one by one", len(requests), exc)
                return [(await self._answer_batch(loop, [request]))[0] for request in requests]
            log.exception("local generation failed")
            reason = f"local generation failed: {type(exc).__name__}: {exc}"
            return [ChatResponse(error=reason, model=self.spec.model)]

    # -- streaming ------------------------------------------------------------------------------------
    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """Text deltas from a TextIteratorStreamer; a stop string is never emitted (text is held back
        while it could still be the start of one)."""
        from transformers import TextIteratorStreamer

        loop = asyncio.get_running_loop()
        tokenizer, _ = await loop.run_in_executor(None, self._load)
        request = request.model_copy(update={"n": 1})
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        start = time.perf_counter()

        cancelled = threading.Event()  # set when the consumer stops reading: generation stops too

        def work() -> list[ChatResponse]:
            try:
                return self._generate_batch_streaming(request, streamer, cancelled)
            finally:
                streamer.end()

        future = loop.run_in_executor(self._executor, work)
        holder = _StopHoldback(request.stop or [])
        pieces = iter(streamer)
        try:
            while True:
                piece = await loop.run_in_executor(None, next, pieces, None)
                if piece is None:
                    break
                out = holder.feed(piece)
                if out:
                    yield out
                if holder.stopped:
                    break
            tail = holder.flush()
            if tail:
                yield tail
        finally:
            cancelled.set()
            try:
                answers = await future
            except Exception as exc:
                self.ledger.add_request(self.spec.label, cached=False, failed=True)
                raise LLMError(f"local generation failed: {type(exc).__name__}: {exc}") from exc
        answer = answers[0]
        self.ledger.add_call(
            self.spec.label, answer.prompt_tokens, answer.completion_tokens, time.perf_counter() - start
        )
        self.ledger.add_request(self.spec.label, cached=False, failed=False)

    def _generate_batch_streaming(
        self, request: ChatRequest, streamer: Any, cancelled: threading.Event
    ) -> list[ChatResponse]:
        import torch
        from transformers import StoppingCriteria

        class _Cancelled(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), cancelled.is_set(), dtype=torch.bool)

        _, model = self._load()
        encoded = self._encode([request])
        if request.seed is not None:
            torch.manual_seed(request.seed)
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                **self._generation_kwargs(request),
                streamer=streamer,
                stopping_criteria=self._stopping(request, encoded["input_ids"].shape[1], [_Cancelled()]),
            )
        generated = output[0, encoded["input_ids"].shape[1] :].tolist()
        _, _, count = _finish(
            generated,
            self._tokenizer,
            self._eos_ids(),
            self._tokenizer.pad_token_id,
            None,
            request.max_tokens,
        )
        return [ChatResponse(prompt_tokens=int(encoded["attention_mask"].sum()), completion_tokens=count)]

    async def aclose(self) -> None:
        return None


def _batch_key(request: ChatRequest) -> tuple:
    """Requests with equal keys can share one generate() call."""
    # A seed only matters when sampling: greedy requests batch together whatever their seeds.
    seed = request.seed if request.temperature > 0 else None
    return (
        request.temperature,
        request.top_p,
        request.max_tokens,
        request.repetition_penalty,
        seed,
        request.n,
        tuple(request.stop or ()),
    )


def _finish(
    row: list[int],
    tokenizer: Any,
    eos_ids: set[int],
    pad_id: int | None,
    stop: list[str] | None,
    max_tokens: int,
) -> tuple[str, str, int]:
    """One generated row -> (text, finish_reason, completion tokens)."""
    end = next((i for i, token in enumerate(row) if token in eos_ids), None)
    if end is not None:
        ids, count, reason = row[:end], end + 1, "stop"
    else:
        ids = list(row)
        while ids and ids[-1] == pad_id:  # finished by a stop string, padded to the batch length
            ids.pop()
        count = len(ids)
        reason = "length" if count >= max_tokens else "stop"
    text = tokenizer.decode(ids, skip_special_tokens=True)
    cut = min((text.find(s) for s in stop or [] if s and s in text), default=-1)
    if cut >= 0:
        text, reason = text[:cut], "stop"
    return text, reason, count


class _StopOnText:
    """Stops a row once its generated text contains a stop string. (transformers' own stop_strings
    also match across the end of the prompt, e.g. "\n\n" right after "assistant\n".) Only a tail of
    tokens is decoded each step: a stop string that just completed lies within it."""

    def __init__(self, tokenizer: Any, stops: list[str], prompt_length: int) -> None:
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        self.prompt_length = prompt_length
        self.window = 4 * max((len(s) for s in self.stops), default=1) + 4  # a CJK char can be 3 tokens

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        tails = input_ids[:, max(self.prompt_length, input_ids.shape[1] - self.window) :].tolist()
        texts = self.tokenizer.batch_decode(tails, skip_special_tokens=True)
        hit = [any(s in text for s in self.stops) for text in texts]
        return torch.tensor(hit, dtype=torch.bool, device=input_ids.device)


class _StopHoldback:
    """Streams text but never a stop string: holds back a tail that could still begin one."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = [s for s in stops if s]
        self.buffer = ""
        self.sent = 0
        self.stopped = False

    def feed(self, piece: str) -> str:
        self.buffer += piece
        cut = min((self.buffer.find(s) for s in self.stops if s in self.buffer), default=-1)
        if cut >= 0:
            self.stopped = True
            out, self.sent = self.buffer[self.sent : cut], cut
            return out
        hold = max(
            (k for s in self.stops for k in range(1, len(s)) if self.buffer.endswith(s[:k])), default=0
        )
        safe = max(self.sent, len(self.buffer) - hold)
        out, self.sent = self.buffer[self.sent : safe], safe
        return out

    def flush(self) -> str:
        if self.stopped:
            return ""
        out, self.sent = self.buffer[self.sent :], len(self.buffer)
        return out
