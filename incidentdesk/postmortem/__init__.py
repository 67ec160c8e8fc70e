"""A postmortem draft of a resolved run: what happened when, the impact, the confirmed cause with
its chain and citations, how the desk's packet fared, and the follow-up items, as Markdown.

`build` reads the run's rows into the plain data of `content`; `trail` and `packets` turn the
audit trail and the packet JSON into that data; `markdown` writes it out.
"""
