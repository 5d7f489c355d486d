"""Notebook authoring: ``%%task`` cells, the notebook's flows and the ``%flow`` commands.

``%load_ext flowbook`` registers the magics (``flowbook.notebook.magics``); the logic they
call lives in plain modules that need no IPython: ``cell_task`` (a cell's code as a task),
``authoring`` (adding, redefining and removing such tasks) and ``registry`` (flows by name).
"""
