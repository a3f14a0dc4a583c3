"""clinical-r1: turn clinical records into a reasoning-enhanced diagnostic LLM (ClinicalGPT-R1 recipe)."""

__version__ = "0.1.0"
