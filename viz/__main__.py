"""``python -m viz "tanh(x*w + b)" x=0.5 w=-3 b=2 --backward -o graph.svg``: see ``viz.cli``."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
