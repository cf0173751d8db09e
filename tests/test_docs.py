"""docs/cli.md is generated from --help and kept up to date; every command has help and an example."""

import click

from toolkit import docs


def test_cli_reference_is_up_to_date():
    assert docs.CLI_MD.read_text(encoding="utf-8") == docs.render(), \
        "docs/cli.md is out of date: run `python -m toolkit.docs`"


def test_every_command_has_help_and_an_example():
    for name, cmd in docs.commands():
        assert (cmd.help or "").strip(), f"{name} has no help"
        if not isinstance(cmd, click.Group):
            assert "Example:" in cmd.help, f"{name} has no Example: block in its help"
