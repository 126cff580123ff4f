"""The Jinja sandbox the templates run in: what a template may call, and how big it may grow.

Jinja's own sandbox refuses private and internal attributes but lets a template
call any method it can reach. Here a call is allowed only if it is on an
explicit list (`allowed`): the template's own macros and blocks, Jinja's
harmless helpers (`range`, `dict`, `namespace`, `cycler`, `joiner`,
`loop.cycle`, `loop.changed`, a recursive `loop(…)`), a few pure methods of
strings, mappings and lists, `iso()` of a date, and `str.format` through the
sandbox's formatter. Anything else is refused with the name of what was
called, at the template line (render.py locates it).

Filters and tests are no calls of the template's: they are the functions of
the environment, and `environment()` sets them from a list too (Jinja's own,
but `random`, plus the theme's).

Work a template asks for is done while the template runs, so that a ceiling
it hits is reported at its line: no constant folding at compile time (a
`{{ 'x' * 10**9 }}` would be computed inside the compiler), `*` and `**`
refuse results larger than any briefing needs before computing them (a big
power is C code that the time ceiling cannot interrupt), and all a rendering
prints is bounded.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import BuiltinMethodType, MappingProxyType, MethodType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as DEFAULT_FILTERS
from jinja2.runtime import BlockReference, Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from jinja2.tests import TESTS as DEFAULT_TESTS
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

from .dates import DateValue, PartialDate

REPEAT_MAX = 1_000_000  # characters or items of `text * n`: a rule of dashes, not a megabyte
NUMBER_BITS = 100_000  # bits of the result of `*` or `**` on integers (a 30,000-digit number)
OUTPUT_MAX = 100_000_000  # characters one rendering may print (a macro's output counts again where printed)

_STR = (
    "capitalize",
    "count",
    "endswith",
    "find",
    "index",
    "isalnum",
    "isalpha",
    "isdigit",
    "islower",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "lower",
    "lstrip",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "title",
    "upper",
)
# Pure methods a template may call, by the type of their object.
METHODS: tuple[tuple[type | tuple[type, ...], frozenset[str]], ...] = (
    (Markup, frozenset((*_STR, "striptags", "unescape"))),
    (str, frozenset(_STR)),
    ((dict, MappingProxyType), frozenset(("get", "items", "keys", "values"))),
    ((list, tuple), frozenset(("count", "index"))),
    ((DateValue, PartialDate), frozenset(("iso",))),
    (LoopContext, frozenset(("cycle", "changed"))),
    (Cycler, frozenset(("next", "reset"))),
)
GLOBALS: dict[str, Any] = {"range": safe_range, "dict": dict, "namespace": Namespace, "cycler": Cycler, "joiner": Joiner}
# Jinja's filters and tests but `random` (the same dossier gives the same PDF); none calls what it is given.
JINJA_FILTERS = tuple(sorted(set(DEFAULT_FILTERS) - {"random"}))
JINJA_TESTS = tuple(sorted(DEFAULT_TESTS))
EXPECTED = (
    "expected a filter, a macro, range, dict, namespace, cycler, joiner, loop.cycle, or a method of text"
    " (upper, split, replace, format …), of a mapping (get, items, keys, values) or of a date (iso)"
)


class TemplateLimit(SecurityError):
    """A template asked for more than the sandbox gives (a huge string, number or output)."""


class ThemeSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with calls on an allow-list and bounded work (see the module)."""

    intercepted_binops = frozenset(("*", "**"))

    def __init__(self, filters: dict[str, Callable[..., Any]], **options: Any):
        super().__init__(optimized=False, finalize=_count_output, **options)
        self.globals.clear()
        self.globals.update(GLOBALS)
        self.filters = {name: DEFAULT_FILTERS[name] for name in JINJA_FILTERS} | filters
        self.tests = {name: DEFAULT_TESTS[name] for name in JINJA_TESTS}
        self.printed = 0
        self._formatters: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is not None:
            self._formatters.add(wrapper)
        return wrapper

    def allowed(self, obj: Any) -> bool:
        """Whether a template may call `obj` (see the module)."""
        if isinstance(obj, (jinja2.Undefined, Macro, BlockReference, LoopContext, Joiner)):
            return True  # an undefined name raises its own error when called
        if any(obj is g for g in GLOBALS.values()) or obj in self._formatters:
            return True
        if isinstance(obj, (MethodType, BuiltinMethodType)):
            owner = obj.__self__
            for kind, names in METHODS:
                if isinstance(owner, kind):
                    return obj.__name__ in names
        return False

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        formatter = self.wrap_str_format(obj)  # `str.format` reached without an attribute (`|attr`)
        if formatter is not None:
            obj = formatter
        if not self.allowed(obj):
            raise SecurityError(f"calling '{_name(obj)}' is not allowed in a template, {EXPECTED}")
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and ints and abs(left) > 1 and right > 0:
            if abs(left).bit_length() * right > NUMBER_BITS:
                raise TemplateLimit(f"{left} ** {right} has more than {NUMBER_BITS:,} bits, expected a smaller number")
        elif operator == "*" and ints:
            if abs(left).bit_length() + abs(right).bit_length() > NUMBER_BITS:
                raise TemplateLimit(f"a product of more than {NUMBER_BITS:,} bits, expected a smaller number")
        elif operator == "*":
            seq, n = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > REPEAT_MAX:
                what, unit = ("a text", "characters") if isinstance(seq, str) else ("a list", "items")
                raise TemplateLimit(f"{what} repeated {n:,} times makes {len(seq) * n:,} {unit}, expected at most {REPEAT_MAX:,}")
        return super().call_binop(context, operator, left, right)


@jinja2.pass_context  # needs the rendering: so Jinja also evaluates no output at compile time
def _count_output(context: Context, value: Any) -> Any:
    env = context.environment
    assert isinstance(env, ThemeSandbox)
    env.printed += len(value) if isinstance(value, str) else len(str(value))
    if env.printed > OUTPUT_MAX:
        raise TemplateLimit(f"the templates print more than {OUTPUT_MAX:,} characters, expected less (a runaway loop?)")
    return value


def _name(obj: Any) -> str:
    """What a refused call names: `str.encode`, `Path.read_text`, `lipsum`."""
    if isinstance(obj, (MethodType, BuiltinMethodType)) and not isinstance(obj.__self__, type(jinja2)):
        return f"{type(obj.__self__).__name__}.{obj.__name__}"
    return str(getattr(obj, "__name__", type(obj).__name__))
