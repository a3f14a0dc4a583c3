"""The local backend batches requests from concurrent generate() calls (synthesis sends one per task)."""

from __future__ import annotations

import asyncio

from clinical_r1.llm import ChatRequest, ModelSpec, build_llm


def test_concurrent_single_requests_share_batches(tiny_model_dir):
    llm = build_llm(ModelSpec(backend="local", model=str(tiny_model_dir), batch_size=8, threads=1))
    sizes: list[int] = []
    generate_batch = llm._generate_batch

    def counting(requests):
        sizes.append(len(requests))
        return generate_batch(requests)

    llm._generate_batch = counting
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"case {i}"}], max_tokens=4, seed=i)
        for i in range(9)
    ]

    async def main():
        await llm.generate(requests[:1])  # loads the model; one batch of one
        return await asyncio.gather(*(llm.generate([r]) for r in requests[1:]))

    answers = asyncio.run(main())
    assert all(a[0].ok and a[0].completion_tokens > 0 for a in answers)
    # 8 concurrent greedy requests (different seeds do not matter when not sampling): one batch of 8.
    assert sizes == [1, 8]


def test_sampling_requests_with_different_seeds_stay_apart(tiny_model_dir):
    llm = build_llm(ModelSpec(backend="local", model=str(tiny_model_dir), batch_size=8, threads=1))
    sizes: list[int] = []
    generate_batch = llm._generate_batch
    llm._generate_batch = lambda reqs: (sizes.append(len(reqs)), generate_batch(reqs))[1]
    requests = [
        ChatRequest(messages=[{"role": "user", "content": "x"}], max_tokens=2, temperature=0.8, seed=i)
        for i in range(3)
    ]

    async def main():
        return await asyncio.gather(*(llm.generate([r]) for r in requests))

    asyncio.run(main())
    assert sorted(sizes) == [1, 1, 1]  # a seeded sample is reproducible only in its own batch
