"""Channels: one result rendered as a web fragment, landing page, e-mail, ads, message or JSON.

    spec.py      the ``delivery`` section of an experience (offers, slots, follow-ups, templates)
    sandbox.py   the sandboxed Jinja2 environment with context-aware escaping and limits
    kinds.py     what the output kinds add: an offer's deadline, a service's open slots
    formats.py   ``render(answer, spec, channel)``: the renderers of every channel
    ads.py       ad variants cut on word boundaries to the platforms' limits

The package itself imports nothing, because :mod:`tastemaker.experiences` imports ``spec``.
"""
