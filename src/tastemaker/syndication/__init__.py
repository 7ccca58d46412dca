"""Syndication: push generated assets to CMS, e-mail and ad tools over signed webhooks.

    signing.py   Standard Webhooks headers (``webhook-id``, ``-timestamp``, ``-signature``),
                 several signatures while a secret is rotated
    network.py   the destination guard: no private, loopback or link-local addresses, no redirects
    worker.py    the delivery worker: retries with exponential backoff and jitter, dead letters,
                 receipts; runs in the server (background task) or from the CLI
    publish.py   render an answer for the channels each endpoint wants and queue the pushes
    refresh.py   saved prompts refreshed daily or weekly, with no repeats unless allowed

Rows live in :mod:`tastemaker.store.delivery`.
"""
