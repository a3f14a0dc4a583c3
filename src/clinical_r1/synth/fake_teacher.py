"""A scripted teacher for tests and benchmarks (plug it into the fake OpenAI-compatible server).

It reads the prompt to tell the stage (initial CoT, a strategy, guided, rewrite, response, re-ask)
and the case text to tell the scenario, a line `scenario: NAME` written by `make_records`, so one
server can drive every route of the search at once. Replies depend only on the request, never on
call order, so a resumed run sees the same teacher as an uninterrupted one.

Scenarios: initial, refine1 (first refinement fixes it), refine2 (second refinement does),
restart (the second attempt's first chain is right), guided, guided_fail, leak (the guided chain
cites the answer), mismatch (the final response names another diagnosis), malformed_once (first
reply is not JSON, the re-ask is), malformed_always, bad_rewrite (the rewrite is never JSON).
"""

from __future__ import annotations

import json
import re

from clinical_r1.differential import render_differential
from clinical_r1.records import ClinicalRecord
from clinical_r1.synth.search import derive_seed

SCENARIOS = (
    "initial",
    "refine1",
    "refine2",
    "restart",
    "guided",
    "guided_fail",
    "leak",
    "mismatch",
    "malformed_once",
    "malformed_always",
    "bad_rewrite",
)
ANSWERS = {"en": ("Lobar pneumonia", "Pulmonary embolism"), "zh": ("大叶性肺炎", "肺栓塞")}
_CASES = {
    "en": "A 67-year-old man has 3 days of fever, cough with rusty sputum and right pleuritic chest pain; "
    "dullness and bronchial breathing over the right lower zone; chest X-ray: right lower lobe "
    "consolidation.",
    "zh": "男，67岁。发热3天，咳铁锈色痰，右侧胸痛随呼吸加重；右下肺叩诊浊音，"
    "可闻及支气管呼吸音；胸片：右下肺叶实变影。",
}
_STRATEGY_MARKERS = {
    "exploring_new_paths": ("explore a new path", "探索新的思路"),
    "backtracking": ("backtrack:", "回溯："),
    "verification": ("verify thoroughly", "全面验证"),
    "correction": ("correct the reasoning", "纠正推理"),
}


def make_records(scenarios: list[str], language: str = "en", prefix: str = "rec") -> list[ClinicalRecord]:
    """One record per scenario name (repeat names for several records of a kind)."""
    right = ANSWERS[language][0]
    return [
        ClinicalRecord(
            id=f"{prefix}-{i:04d}",
            language=language,
            department="Respiratory",
            case=f"id: {prefix}-{i:04d}\nscenario: {name}\n{_CASES[language]}",
            diagnosis=right,
            icd10="J18.1",
            source="fake",
        )
        for i, name in enumerate(scenarios)
    ]


class FakeTeacher:
    """`teacher(request_json) -> reply text`; `config_seed` must match the SynthConfig seed."""

    def __init__(self, config_seed: int = 0):
        self.config_seed = config_seed

    def __call__(self, request: dict) -> str:
        messages = request["messages"]
        first = messages[0]["content"]
        record_id = re.search(r"id: (\S+)", first).group(1)
        scenario = re.search(r"scenario: (\S+)", first).group(1)
        language = "zh" if "<病例>" in first else "en"
        right, wrong = ANSWERS[language]
        reasked = len(messages) > 1

        if "<internal thinking>" in first or "<内部思考>" in first:
            said = wrong if scenario == "mismatch" else right
            label = "最终诊断：" if language == "zh" else "Final diagnosis: "
            text = f"{label}{said}\n\nThe findings support it; alternatives are less likely."
            if "Differential diagnosis:\n1." in first or "鉴别诊断：\n1." in first:  # asked for one
                other = wrong if said == right else right
                text += "\n\n" + render_differential([(said, 0.7), (other, 0.2)], language)
            return text
        if "<thought process>" in first or "<思考过程>" in first:
            if scenario == "bad_rewrite":
                return "Sure! Here is the rewrite: hmm, pneumonia."
            lines = ["嗯，发热、咳铁锈色痰。", "等等，右下肺实变。", f"另外，符合{right}。"]
            if language == "en":
                lines = [
                    "Hmm, fever and rusty sputum.",
                    "Wait, right lower lobe consolidation.",
                    f"Also, {right}.",
                ]
            return json.dumps({"NaturalReasoning": "\n".join(lines)}, ensure_ascii=False)
        if "In confidence" in first or "私下告诉你" in first:
            if scenario == "leak":
                return _chain(f"{right}; the reference answer says so", continuation=True)
            return _chain(wrong if scenario == "guided_fail" else right, continuation=True)
        if "<previous reasoning>" in first or "<之前的推理>" in first:
            strategy = next(
                name for name, marks in _STRATEGY_MARKERS.items() if any(m in first for m in marks)
            )
            previous = re.search(r"<(?:previous reasoning|之前的推理)>(.*?)</", first, re.DOTALL).group(1)
            depth = previous.count('"Final Conclusion"')  # 1 at the first refinement, 2 at the second
            fixed = (scenario == "refine1") or (scenario == "refine2" and depth >= 2)
            return _chain(right if fixed else wrong, continuation=True, note=strategy)
        # the initial chain of thought
        if scenario == "malformed_always" or (scenario == "malformed_once" and not reasked):
            return "I think it is pneumonia, but I will not write JSON."
        if scenario == "restart":
            first_attempt = {derive_seed(self.config_seed, record_id, "initial", 1, 0, r) for r in range(9)}
            return _chain(wrong if request.get("seed") in first_attempt else right)
        return _chain(
            right if scenario in ("initial", "mismatch", "malformed_once", "bad_rewrite") else wrong
        )


def _chain(answer: str, continuation: bool = False, note: str = "") -> str:
    steps = []
    if continuation:
        steps.append(
            {"action": "Verification", "content": f"The previous conclusion is wrong. {note}".strip()}
        )
    steps += [
        {
            "action": "Inner Thinking",
            "title": "Findings",
            "content": "Fever, rusty sputum, lobar consolidation.",
        },
        {
            "action": "Final Conclusion",
            "content": f"The findings point to one diagnosis.\nFinal diagnosis: {answer}",
        },
        {"action": "Verification", "content": "The conclusion fits the findings."},
    ]
    return "```json\n" + json.dumps({"CoT": steps}, ensure_ascii=False, indent=1) + "\n```"


def main() -> None:
    """Serve the scripted teacher on 127.0.0.1 (try the whole pipeline without an API key)."""
    import argparse

    from clinical_r1.records import write_jsonl
    from clinical_r1.testing.fake_openai_server import Faults, Server

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per reply")
    parser.add_argument("--write-records", type=str, default=None, help="also write demo records here")
    args = parser.parse_args()
    if args.write_records:
        write_jsonl(args.write_records, make_records(list(SCENARIOS)))
    server = Server(FakeTeacher(), faults=Faults(delay_s=args.delay))
    server.port = args.port
    server.start()
    print(f"scripted teacher at {server.base_url} (model name: any)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
