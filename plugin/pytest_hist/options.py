"""options.py - the plugin's options and their environment defaults.

Owns: declaring an option together with its environment variable, and
giving every option its value once the command line is parsed: the command
line (with PYTEST_ADDOPTS and the ini file's addopts), else the variable,
else the default. Not here: what the options do (plugin.py and the modules
it registers).

An option is declared with default None, so a value given on the command
line (even one equal to the default) is told apart from none: the command
line always wins. An empty variable counts as unset (CI templates often
define a variable empty for the jobs that do not use it).
"""

import pytest

_ORIGIN = pytest.StashKey()

# dest -> _Option; filled by pytest_addoption, the same on every call.
_OPTIONS = {}


class _Option:
    def __init__(self, flag, dest, env, default, choices, type, repeat):
        self.flag = flag
        self.dest = dest
        self.env = env
        self.default = default
        self.choices = choices
        self.type = type
        self.repeat = repeat


def add(group, flag, *, env, default=None, choices=None, type=None, help,
        metavar=None, repeat=False):
    """group.addoption with an environment variable; the help names it and
    the default. repeat: the option may be given several times (its value
    is the list, in order) and the variable is a comma list."""
    dest = flag.lstrip("-").replace("-", "_")
    _OPTIONS[dest] = _Option(flag, dest, env, default, choices, type, repeat)
    shown = f"; env {env}" + (" as a comma list" if repeat else "")
    if default is not None:
        shown = f" (default {default}{shown})"
    else:
        shown = f" ({shown[2:]})"
    kwargs = {"dest": dest, "default": None, "help": help + shown}
    if choices is not None:
        kwargs["choices"] = choices
    if type is not None:
        kwargs["type"] = type
    if metavar is not None:
        kwargs["metavar"] = metavar
    if repeat:
        kwargs["action"] = "append"
    group.addoption(flag, **kwargs)


def _from_env(opt, text):
    if opt.repeat:
        return [_one_from_env(opt, text, part.strip())
                for part in text.split(",") if part.strip()]
    return _one_from_env(opt, text, text)


def _one_from_env(opt, whole, text):
    if opt.type is not None:
        try:
            value = opt.type(text.strip())
        except ValueError:
            raise pytest.UsageError(
                f"hist: {opt.env}={whole!r}: not a valid {opt.flag} value: "
                f"expected {opt.type.__name__}") from None
    else:
        value = text
    if opt.choices is not None and value not in opt.choices:
        allowed = ", ".join(str(c) for c in opt.choices)
        raise pytest.UsageError(
            f"hist: {opt.env}={whole!r}: not a valid {opt.flag} value: "
            f"expected one of {allowed}")
    return value


def resolve(config, environ):
    """Fill every hist option the command line left unset from its
    variable, else its default. On an xdist worker the options arrive
    resolved from the controller, so this changes nothing there."""
    origin = {}
    for opt in _OPTIONS.values():
        value = config.getoption(opt.dest, None)
        if value is not None:
            origin.setdefault(opt.dest, "command line")
            continue
        text = environ.get(opt.env, "")
        if text:
            setattr(config.option, opt.dest, _from_env(opt, text))
            origin[opt.dest] = opt.env
        else:
            setattr(config.option, opt.dest, opt.default)
    config.stash[_ORIGIN] = origin


def origin(config, dest):
    """Where option dest got its value: "command line", the name of its
    environment variable, or None for its default."""
    return config.stash.get(_ORIGIN, {}).get(dest)


def table():
    """(flag, env, default) of every option, in declaration order (for
    tests and documentation)."""
    return [(o.flag, o.env, o.default) for o in _OPTIONS.values()]
