"""The ``crmflow`` command: ``crmflow serve``, ``crmflow demo`` and ``crmflow workflows``."""

from __future__ import annotations

import argparse
import sys

from crmflow_local.runtime import DEFAULT_START, Runtime
from crmflow_local.workflows_code import commands as workflows_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crmflow", description="crmflow on the embedded runtime")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API on 127.0.0.1 with a virtual clock")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--start", default=DEFAULT_START, help="virtual clock start (ISO 8601)")
    demo = commands.add_parser("demo", help="run the demo account through simulated days and report")
    demo.add_argument("--start", default=DEFAULT_START)
    demo.add_argument("--out", default="out/demo", help="directory of the HTML report (default: out/demo)")
    demo.add_argument("--scale", type=float, default=1.0, help="size of the account and its activity (1.0)")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="then serve the demo account (API, /console, /docs) on 127.0.0.1:3000 until Ctrl-C",
    )
    demo.add_argument("--port", type=int, default=3000, help="with --serve: the port (3000)")
    workflows_code.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "workflows":
        return workflows_code.run(args)

    if args.command == "serve":
        with Runtime(start=args.start) as runtime:
            return _serve(
                runtime,
                args.host,
                args.port,
                "crmflow serving on {url} (token: local-admin, clock " + args.start + ")\n"
                "API documentation (Swagger UI, no token needed): {url}/docs\n"
                "the /_local/* routes take the same token: curl -H 'Authorization: Bearer local-admin' "
                "{url}/_local/clock\n",
            )
    if args.serve:
        return _demo_then_serve(args)
    from crmflow_local.demo import run_demo

    return run_demo(args.start, scale=args.scale, out_dir=args.out)


def _demo_then_serve(args: argparse.Namespace) -> int:
    """``crmflow demo --serve``: the demo's run, then its account served to a browser."""
    from crmflow_local.demo.run import Demo

    with Demo(args.start, scale=args.scale, out_dir=args.out) as demo:
        demo.run()
        return _serve(
            demo.rt,
            "127.0.0.1",
            args.port,
            "the demo account is served on {url}: the console at {url}/console "
            "(token local-admin), Swagger UI at {url}/docs; Ctrl-C stops\n",
        )


def _serve(runtime: Runtime, host: str, port: int, banner: str) -> int:
    """Serve ``runtime`` on ``host:port`` until Ctrl-C, a log line per request, ``banner`` first."""
    from crmflow_local.server import LocalServer, readable_logs

    server = LocalServer(runtime, host, port)
    readable_logs(sys.stderr)  # a line per request; errors as text
    sys.stdout.write(banner.format(url=server.url))
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
