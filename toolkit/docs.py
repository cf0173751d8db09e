"""Generate docs/cli.md, the command-line reference, from every command's --help.

    python -m toolkit.docs            # rewrite docs/cli.md
    python -m toolkit.docs --check    # exit 1 if docs/cli.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from toolkit.cli import cli

CLI_MD = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def commands(group: click.Group = cli, prefix: str = "dipsample") -> list[tuple[str, click.Command]]:
    """(full name, command) for the group and every command under it, depth first, sorted."""
    out = [(prefix, group)]
    for name in sorted(group.commands):
        cmd = group.commands[name]
        if isinstance(cmd, click.Group):
            out += commands(cmd, f"{prefix} {name}")
        else:
            out.append((f"{prefix} {name}", cmd))
    return out


def help_text(name: str, cmd: click.Command) -> str:
    parent = None
    for part in name.split()[:-1]:
        parent = click.Context(cli if parent is None else parent.command.commands[part], info_name=part,
                               parent=parent, terminal_width=100, max_content_width=100)
    ctx = click.Context(cmd, info_name=name.split()[-1], parent=parent, terminal_width=100, max_content_width=100,
                        help_option_names=["-h", "--help"])
    return cmd.get_help(ctx)


def render() -> str:
    parts = ["# Command-line reference\n",
             "Generated from `--help` by `python -m toolkit.docs`; do not edit by hand "
             "(`tests/test_docs.py` fails when it is out of date).\n"]
    for name, cmd in commands():
        parts.append(f"## `{name}`\n\n```text\n{help_text(name, cmd).rstrip()}\n```\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        if not CLI_MD.exists() or CLI_MD.read_text(encoding="utf-8") != text:
            print(f"{CLI_MD} is out of date: run python -m toolkit.docs", file=sys.stderr)
            return 1
        return 0
    CLI_MD.write_text(text, encoding="utf-8")
    print(CLI_MD)
    return 0


if __name__ == "__main__":
    sys.exit(main())
