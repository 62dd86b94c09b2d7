"""Every option of every subcommand refuses bad values in one line with exit code 2, and writes nothing.

The options are read from the parsers themselves, and the bad values from each option's type, so a
new command or option is covered without a new line here.
"""
import pytest

from ddim_ref import cli
from ddim_ref.cli.options import OptionType


def _cases():
    parser = cli.build_parser(all_commands=True)
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        for action in subparser._actions:
            if isinstance(action.type, OptionType):
                for bad in action.type.bad_values:
                    flag = action.option_strings[0]
                    yield pytest.param(name, flag, bad, id=f"{name} {flag} {bad}")


CASES = list(_cases())


def test_every_command_has_its_options_checked():
    commands = {c.values[0] for c in CASES}
    assert commands == set(cli.COMMANDS)
    assert len(CASES) >= 130


@pytest.mark.parametrize("command, flag, bad", CASES)
def test_a_bad_value_is_one_line_exit_2_and_nothing_written(command, flag, bad, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [command, flag, bad]
    parser = cli.build_parser([command])
    takes_out = any("--out" in a.option_strings for a in parser._subparsers._group_actions[0].choices[command]._actions)
    if takes_out and flag != "--out":
        suffix = {"sample": "x.png", "bench": "x.md", "classifier": "x.pt"}.get(command, "")
        argv += ["--out", str(out / suffix) if suffix else str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err
    assert flag in err or "argument" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_help_of_every_numeric_option_states_its_range(capsys):
    parser = cli.build_parser(all_commands=True)
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        for action in subparser._actions:
            if isinstance(action.type, OptionType) and action.type.describe.startswith(("an integer", "a finite")):
                assert action.type.describe in action.help, (name, action.option_strings)
