"""The CLI's root group and the lazily built application it hands to every command."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import click
from sqlalchemy import Engine

from thekiz_flow import __version__
from thekiz_flow.core.clock import Clock
from thekiz_flow.core.ids import Kind, parse_id
from thekiz_flow.core.model import Workflow
from thekiz_flow.mail.delivery import Backend
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.simulation import SystemClock
from thekiz_flow.workflow.config import Settings, load_settings
from thekiz_flow.workflow.definitions import load_workflow


def _actor() -> str:
    try:
        return os.environ.get("THEKIZ_FLOW_ACTOR") or getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unbekannt"


@dataclass
class App:
    config_path: Path | None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    command: click.Command | None = None  # the command called: it names an error's field

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.config_path, self.environ)

    @cached_property
    def workflow(self) -> Workflow:
        return load_workflow(self.settings.workflow_path)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def service(self) -> Service:
        return self.service_at(SystemClock())

    def service_at(
        self,
        clock: Clock,
        backend: Backend | None = None,
        actor: str | None = None,
        engine: Engine | None = None,
    ) -> Service:
        """The service with another clock (mail backend, database): for --now and simulate."""
        settings = self.settings
        return Service(
            engine or self.engine,
            self.workflow,
            clock,
            settings.timezone,
            actor or _actor(),
            settings.mail,
            backend,
            settings.digest,
            privacy=settings.privacy,
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


pass_app = click.make_pass_decorator(App)


def _called(ctx: click.Context, command: click.Command) -> None:
    app = ctx.find_object(App)
    if app is not None:
        app.command = command


class Command(click.Command):
    """A command that tells the application it was called, before its values are read."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _called(ctx, self)
        return super().parse_args(ctx, args)


class Group(click.Group):
    """A group whose commands and subgroups tell the application they were called."""

    command_class = Command
    group_class = type

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _called(ctx, self)
        return super().parse_args(ctx, args)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Konfigurationsdatei (sonst $THEKIZ_FLOW_CONFIG, ./config.toml, Voreinstellungen).",
)
@click.version_option(__version__, message="thekiz-flow %(version)s")
@pass_app
def cli(app: App, config_path: Path | None) -> None:
    """thekiz-flow: Stufen, Begleitung und Berichte der Thüringer Eltern-Kind-Zentren."""
    app.config_path = config_path


class Id(click.ParamType[int]):
    """An id argument or option of one kind: ASCII digits, within the range of ids."""

    name = "id"

    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        return parse_id("id" if param is None else str(param.name), self.kind, str(value))
