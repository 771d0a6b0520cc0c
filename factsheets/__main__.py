import sys

if sys.argv[1:2] == ["render"]:  # its helper forked first, while the command line loads (render/early.py)
    from .render.early import start_helper_for

    start_helper_for(sys.argv[1:])

from .cli import main  # noqa: E402

main()
