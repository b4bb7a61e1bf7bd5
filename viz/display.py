"""Showing a ``Value`` in IPython and Jupyter as the drawing of its graph.

The engine knows nothing of its users: ``autograd`` has no display code. It is
``viz`` that, when imported inside IPython (a notebook, JupyterLab, the
IPython shell), registers ``value_bundle`` with the shell's mime-bundle
formatter for ``Value``, so that a cell ending in a Value shows its graph.
"""

from __future__ import annotations

from typing import Any

from autograd import Value

from .graph import draw_graph


def value_bundle(value: Value, include: Any = None, exclude: Any = None) -> dict:
    """The mime bundle Jupyter shows for ``value``: SVG of its graph, or text without ``dot``."""
    return draw_graph(value)._repr_mimebundle_(include=include, exclude=exclude)


def register(shell: Any = None) -> bool:
    """Make ``shell`` (by default the running IPython shell) display Values as graphs.

    Returns False, doing nothing, outside IPython.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
        if shell is None:
            return False
    shell.display_formatter.mimebundle_formatter.for_type(Value, value_bundle)
    return True
