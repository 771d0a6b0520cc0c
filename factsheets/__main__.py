import sys

if sys.argv[1:2] == ["render"]:  # its helper forked first, while the command line loads (render/early.py)
    from .collector import hold

    hold()  # no garbage collection until its first sheet (collector.py)
    from .render.early import start_helper_for

    try:
        start_helper_for(sys.argv[1:])
    except KeyboardInterrupt:  # Ctrl-C while the helper was forked: ended as within a command
        from .cli import end_interrupted

        end_interrupted()

from .cli import main  # noqa: E402

main()
