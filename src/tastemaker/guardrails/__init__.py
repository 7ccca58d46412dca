"""Guardrails: content checks on what a person types and on the words the engine writes back.

:mod:`tastemaker.guardrails.checks` holds the checks (profanity, personal data, prompt
injection, sensitive inference) and :mod:`tastemaker.guardrails.topics` the sensitive topics.
The capture stage runs them on the answer, the guard stage on the copy. This package module
imports nothing itself, so that the experience declaration can name the topics without pulling
the pipeline in (the checks reuse the capture stage's redactor).
"""
