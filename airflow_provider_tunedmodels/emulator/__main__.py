"""Command line: ``tunedmodels-emulator`` / ``python -m airflow_provider_tunedmodels.emulator``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from airflow_provider_tunedmodels.emulator.config import (
    DEFAULT_API_KEY,
    DEFAULT_CONCURRENT_TUNING_JOBS,
    EmulatorConfig,
    parse_api_key,
    parse_api_keys,
)
from airflow_provider_tunedmodels.emulator.faults import FaultRule

#: Environment variable with ``KEY[=email]`` entries, comma-separated (keeps keys out of ``ps``).
API_KEYS_ENV = "TUNEDMODELS_EMULATOR_API_KEYS"
#: First line written to stdout once the server accepts connections.
READY_PREFIX = "tunedmodels-emulator listening on "
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="tunedmodels-emulator",
        description="Local emulator of the Gemini API tunedModels and Vertex AI tuningJobs "
        "REST APIs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="port (default 8089; 0 = free port)")
    parser.add_argument(
        "--step-seconds", type=float, default=0.05, help="seconds per tuning step (default 0.05)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY[=EMAIL]",
        help=f"accept this API key, for the given user (repeatable; also ${API_KEYS_ENV}; "
        f"default: {DEFAULT_API_KEY})",
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=3600.0,
        help="lifetime of issued OAuth access tokens in seconds (default 3600)",
    )
    parser.add_argument("--state-file", help="JSON file keeping state across restarts")
    parser.add_argument("--seed", type=int, default=0, help="seed of ids, loss curves and faults")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE[,key=value...]",
        help="fault rule, e.g. 429=0.2,route=tunedModels.get,retry_after=2 (repeatable)",
    )
    parser.add_argument(
        "--service-account-key",
        action="append",
        default=[],
        metavar="FILE",
        help="trust the key of this service-account key JSON file (repeatable)",
    )
    parser.add_argument(
        "--concurrent-tuning-jobs",
        type=int,
        default=DEFAULT_CONCURRENT_TUNING_JOBS,
        help="Vertex AI tuning jobs running at once per project; more wait for quota "
        f"(default {DEFAULT_CONCURRENT_TUNING_JOBS}; 0 = no limit)",
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (secrets redacted)"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The emulator settings the command line asks for."""
    api_keys = parse_api_keys(os.environ.get(API_KEYS_ENV, ""))
    api_keys.update(dict(parse_api_key(spec) for spec in args.api_key))
    config = EmulatorConfig(
        step_seconds=args.step_seconds,
        token_lifetime=args.token_lifetime,
        state_file=args.state_file,
        seed=args.seed,
        faults=[FaultRule.parse(spec) for spec in args.fault],
        service_account_files=list(args.service_account_key),
        concurrent_tuning_jobs=args.concurrent_tuning_jobs,
    )
    if api_keys:
        config.api_keys = api_keys
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    from airflow_provider_tunedmodels.emulator.app import EmulatorApp
    from airflow_provider_tunedmodels.emulator.server import (
        NotifyingServer,
        bind_socket,
        uvicorn_config,
    )

    if args.host not in _LOOPBACK:
        sys.stderr.write(
            f"warning: listening on {args.host}: the /_emulator/ control API needs no "
            "credentials; bind loopback unless you mean it.\n"
        )
    app = EmulatorApp(config)
    sock = bind_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host

    def announce() -> None:
        """Tell launchers (and people) where the server listens."""
        sys.stdout.write(f"{READY_PREFIX}http://{shown_host}:{port}\n")
        sys.stdout.flush()

    server = NotifyingServer(
        uvicorn_config(app, access_log=args.access_log, log_level=args.log_level), announce
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
