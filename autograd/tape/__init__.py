"""Trace once, replay on batches: a scalar function compiled, in three stages, to numpy calls.

The scalar engine rebuilds the graph for every sample. A tape records the
graph of one call and replays it on whole batches, one column per sample,
with the same table of primitives (the ``ARRAYS`` backend)::

      f, example inputs                       f(*Values) -> Value(s); w, b: leaf Values
            |
            v
    +---------------+   record.py: run f once in a recording mode of the engine;
    |    record     |   comparisons and reads of v.data are watched
    +---------------+
            |   Tape: instructions, one per node, in topological order
            |     %0 = Input(0)   %5 = Param(3)   %9 = Step(*, (%5, %0))
            |     %12 = StopGradient(abs(%9))     + decisions: %9 > 0.0 was True
            v
    +---------------+   plan.py: group steps of one op and depth; turn
    |     plan      |   neurons b + sum_k w_k x_k into matrix products
    +---------------+
            |   Plan.items, each writing one block (rows = nodes, columns = samples)
            |     Affine(16 x 2 + bias)   Group(relu, 16 steps)   Guard(%9 > 0.0)
            v
    +---------------+   run.py: the items on numpy arrays, chunk by chunk of
    |      run      |   samples; forward in order, backward in reverse
    +---------------+
            |
            v
      outputs (n, k) per sample; parameters' .grad += batch sums; d/dX (n, inputs)

Modules: ``expr`` (postfix programs of numbers read with ``v.data``, and
``Decision``), ``instructions``, ``record`` (``trace``, ``TracedFloat``),
``tape`` (``Tape``), ``plan``, ``items`` (what a plan is made of), ``run``,
``buffers`` (arrays kept from one replay to the next), ``checks`` (the
scalar engine's answers where numpy meets inf or nan), and ``cache``
(``TapeCache``: one tape per branch pattern).

A replay agrees with the scalar engine sample by sample: values and
gradients to rounding (a matrix product adds its terms in another order),
the same inf and nan, and the same errors naming the op and the sample.
"""

from ..errors import BranchError, TraceError
from .cache import TapeCache
from .expr import Decision
from .instructions import Step
from .record import TracedFloat, trace
from .tape import Tape

__all__ = ["BranchError", "Decision", "Step", "Tape", "TapeCache", "TraceError", "TracedFloat",
           "trace"]
