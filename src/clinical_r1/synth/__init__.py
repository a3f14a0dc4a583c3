"""Reasoning-data synthesis: records -> verified long chain-of-thought training examples.

templates.py (prompt files in prompts/en, prompts/zh), cot.py (the teacher's JSON steps),
search.py (one record), journal.py + runner.py (many records, resumable); the output type is
clinical_r1.training_example.
Entry point: `clinical_r1.synth.runner.run_synthesis`.
"""
