"""An optional language-model step over the deterministic packet: clearer, never bolder.

Off unless LLM_BASE_URL is set. `service.assistant_annotate` is the entry point.
"""
