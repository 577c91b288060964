"""What a notebook does, read from the notebook itself: a dry run of its code.

The forecast needs each notebook's numbers (its recipes, epochs, batch sizes, timed steps,
figures, test-time views, launched processes) and must not keep copies of them. A dry run
reads them where the notebook keeps them: it executes the notebook's code cells statement by
statement, starting from its parameters' defaults, where

* assignments, ``if``, ``for`` and ``while`` run for real on what is known: literals, the
  builtins, the package's constants and its pure functions (recipes, validation,
  ``dataclasses.replace``, the ablation's arithmetic);
* every other call (training, loading, drawing, launching, a function the notebook defines)
  is not made: it goes to ``on_call``, which counts its cost and returns a stand-in for its
  result, or :data:`UNKNOWN`; a function the notebook defines that ``on_call`` leaves alone
  is dry-run in turn;
* an unknown result is an :class:`Opaque` value: it can be passed on, called and asked for
  attributes (those calls reach ``on_call`` by the name the notebook gives them, e.g.
  ``optimizer.step``), but a decision that depends on it (``if``, a loop over it, a
  comparison) is skipped.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import importlib
import inspect
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import torch

from ..distributed.launch import threads_per_process
from ..modern import ablation_ideas, ablation_share
from ..modern import make_recipe as make_modern_recipe
from ..modern.recipe import check_budget
from ..training import make_recipe as make_classic_recipe
from ..validation import check_bool, check_choice, check_int

UNKNOWN = object()
"""What ``on_call`` returns for a call whose result it does not model."""
MAX_ITERATIONS = 100_000  # loops of a dry run, all together
PURE = {make_classic_recipe, make_modern_recipe, dataclasses.replace, check_int, check_bool,
        check_choice, check_budget, ablation_ideas, ablation_share, threads_per_process,
        torch.device}  # fmt: skip
"""The package's functions a dry run calls for real: they compute values and do nothing else."""
BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "getattr",
    "int", "isinstance", "len", "list", "map", "max", "min", "range", "reversed", "round",
    "set", "sorted", "str", "sum", "tuple", "zip", "next", "iter", "ValueError", "KeyError",
    "Exception",
)}  # fmt: skip


class Unknown(Exception):
    """A value the dry run does not know was needed for a decision."""


class Opaque:
    """An unknown value: passed on, called or asked for attributes, never decided on."""

    def __init__(self, name: str, run: DryRun) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_run", run)

    def __getattr__(self, attribute: str) -> Opaque:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return Opaque(f"{self._name}.{attribute}", self._run)

    def __call__(self, *args, **kwargs):
        return self._run.call(self._name, None, args, kwargs)

    def __setattr__(self, attribute: str, value: object) -> None:
        pass

    def __getitem__(self, key: object) -> Opaque:
        return Opaque(f"{self._name}[]", self._run)

    def __setitem__(self, key: object, value: object) -> None:
        pass

    def keys(self) -> tuple:  # ``**unknown`` in a call adds no keyword arguments
        return ()

    def _unknown(self, *_: object) -> Any:
        raise Unknown(self._name)

    __hash__ = object.__hash__
    __eq__ = __ne__ = _unknown

    __bool__ = __iter__ = __len__ = __lt__ = __le__ = __gt__ = __ge__ = __index__ = _unknown
    __int__ = __float__ = __enter__ = __exit__ = _unknown

    def _combined(self, other: object) -> Opaque:
        return Opaque(f"{self}/{other}", self._run)

    __truediv__ = __rtruediv__ = __add__ = __radd__ = __sub__ = __rsub__ = _combined
    __mul__ = __rmul__ = __floordiv__ = _combined

    def __str__(self) -> str:  # a path or a word in a command line: its name
        return self._name

    def __format__(self, spec: str) -> str:
        return self._name


@dataclass
class Call:
    """A call the dry run did not make: the name the notebook calls it by, and its values."""

    name: str
    target: object  # the real function, class or method; an ``ast.FunctionDef`` of the notebook
    args: tuple
    kwargs: dict


class Intercepted:
    """A function, class or module of the notebook's imports: calls go to the dry run."""

    def __init__(self, name: str, target: object, run: DryRun) -> None:
        self._name, self._target, self._run = name, target, run

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        if self._target is None or isinstance(self._target, ast.AST):
            return Opaque(f"{self._name}.{attribute}", self._run)
        try:
            value = getattr(self._target, attribute)
        except AttributeError:
            return Opaque(f"{self._name}.{attribute}", self._run)
        return self._run.wrap(f"{self._name}.{attribute}", value)

    def __call__(self, *args, **kwargs):
        return self._run.call(self._name, self._target, args, kwargs)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: object) -> None:
        self.value = value


@dataclass
class DryRun:
    """One dry run of a notebook's code: ``namespace`` holds what it knows at the end.

    ``pinned`` values (the profile, the data set, the device...) stand for what the
    notebook's set-up computes from its environment; statements never change them.
    """

    on_call: Callable[[Call], object]
    pinned: dict[str, object] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=dict)
    iterations: int = 0

    def run(self, parameters: dict[str, object], cells: list[str]) -> DryRun:
        """Dry-run ``cells`` (code) after setting ``parameters`` (names and values)."""
        self.namespace.update({"__builtins__": BUILTINS, **parameters, **self.pinned})
        for source in cells:
            self.execute(ast.parse(source).body)
        return self

    # values and calls

    def wrap(self, name: str, value: object) -> object:
        """What the notebook's code sees for an imported ``value``."""
        if any(value is pure for pure in PURE) or value is math:
            return value
        if isinstance(value, ModuleType) or callable(value):
            return Intercepted(name, value, self)
        return value

    def call(self, name: str, target: object, args: tuple, kwargs: dict) -> object:
        value = self.on_call(Call(name, target, args, kwargs))
        if value is UNKNOWN and isinstance(target, ast.FunctionDef):
            value = self.function(target, args, kwargs)
        return Opaque(f"{name}()", self) if value is UNKNOWN else value

    def function(self, definition: ast.FunctionDef, args: tuple, kwargs: dict) -> object:
        """The value a function the notebook defines returns, by dry-running its body."""
        scope = DryRun(self.on_call, self.pinned, dict(self.namespace), self.iterations)
        try:
            scope.namespace.update(self.arguments(definition, args, kwargs))
        except TypeError:
            return UNKNOWN
        try:
            scope.execute(definition.body)
        except _Return as returned:
            return returned.value
        except (_Break, _Continue):
            pass
        finally:
            self.iterations = scope.iterations
        return None

    def arguments(self, definition: ast.FunctionDef, args: tuple, kwargs: dict) -> dict:
        """The function's parameters bound to ``args`` and ``kwargs`` (defaults evaluated)."""
        spec = definition.args
        defaults = [self.evaluate(d) for d in spec.defaults]
        names = [a.arg for a in spec.posonlyargs + spec.args]
        bound = dict(zip(names[len(names) - len(defaults) :], defaults, strict=True))
        bound.update(
            {
                a.arg: self.evaluate(d)
                for a, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=True)
                if d is not None
            }
        )
        bound.update(zip(names, args, strict=False))
        if spec.vararg:
            bound[spec.vararg.arg] = tuple(args[len(names) :])
        elif len(args) > len(names):
            raise TypeError(f"{definition.name}: too many arguments")
        bound.update(kwargs)  # fmt: skip
        return bound

    def evaluate(self, node: ast.expr, **names: object) -> object:
        """The value of an expression of the notebook, with ``names`` set (else Unknown)."""
        try:
            return eval(compiled(ast.Expression(node), "eval"), {**self.namespace, **names})  # noqa: S307 (the notebook's own code)
        except Unknown:
            raise
        except Exception as error:  # a name it does not know, an Opaque in arithmetic...
            raise Unknown(str(error)) from None

    def value_in(self, definition: ast.FunctionDef, variable: str, /, **arguments: object):
        """The value a function the notebook defines gives ``variable`` (its first assignment)."""
        for node in definition.body:
            if isinstance(node, ast.Assign) and any(
                assigned(t) == [variable] for t in node.targets
            ):
                return self.evaluate(node.value, **arguments)
        raise Unknown(f"{definition.name} assigns no {variable}")

    def loop_count(self, definition: ast.FunctionDef, **arguments: object) -> int:
        """How often the first ``for ... in range(...)`` of a notebook's function runs."""
        for node in ast.walk(definition):
            if isinstance(node, ast.For):
                return len(self.evaluate(node.iter, **arguments))
        raise Unknown(f"{definition.name} has no loop")

    # statements

    def execute(self, statements: list[ast.stmt]) -> None:
        for node in statements:
            self.statement(node)

    def statement(self, node: ast.stmt) -> None:  # noqa: C901 (one case per kind of statement)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports(node)
        elif isinstance(node, ast.FunctionDef):
            self.namespace[node.name] = Intercepted(node.name, node, self)
        elif isinstance(node, ast.If):
            try:
                test = bool(self.evaluate(node.test))
            except Unknown:
                return self.forget(node)
            self.execute(node.body if test else node.orelse)
        elif isinstance(node, ast.For):
            self.loop(node)
        elif isinstance(node, ast.While):
            self.loop(node)
        elif isinstance(node, ast.With):
            for item in node.items:  # the context managers are not entered
                self.simple(ast.Expr(item.context_expr), item.optional_vars)
            self.execute(node.body)
        elif isinstance(node, ast.Try):
            self.execute(node.body)
        elif isinstance(node, ast.Break):
            raise _Break
        elif isinstance(node, ast.Continue):
            raise _Continue
        elif isinstance(node, ast.Return):
            try:
                raise _Return(None if node.value is None else self.evaluate(node.value))
            except Unknown:
                raise _Return(UNKNOWN) from None
        elif isinstance(node, ast.Assign) and self.split(node):
            pass
        elif isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)):
            self.simple(node)
        else:
            self.forget(node)

    def loop(self, node: ast.For | ast.While) -> None:
        def more() -> bool:
            self.iterations += 1
            if self.iterations > MAX_ITERATIONS:
                raise Unknown("too many iterations for a dry run")
            return True

        try:
            if isinstance(node, ast.For):
                items = iter(self.evaluate(node.iter))
                steps = ((self.bind(node.target, item), more()) for item in items)
            else:
                steps = iter(lambda: bool(self.evaluate(node.test)) and more(), False)
            for _ in steps:
                try:
                    self.execute(node.body)
                except _Continue:
                    continue
                except _Break:
                    break
        except Unknown:
            self.forget(node)

    def split(self, node: ast.Assign) -> bool:
        """``a, b = x, y`` as two assignments, so that an unknown ``y`` keeps ``a``."""
        [target] = node.targets if len(node.targets) == 1 else [None]
        if not (isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)):
            return False
        if len(target.elts) != len(node.value.elts) or any(
            isinstance(e, ast.Starred) for e in target.elts + node.value.elts
        ):
            return False
        for name, value in zip(target.elts, node.value.elts, strict=True):
            self.simple(ast.Assign([name], value, lineno=node.lineno))
        return True

    def simple(self, node: ast.stmt, target: ast.expr | None = None) -> None:
        """A statement without a body: run it, or make what it sets unknown."""
        try:
            exec(compiled(ast.Module([node], []), "exec"), self.namespace)  # noqa: S102
        except Exception:  # noqa: BLE001 (Unknown, or an Opaque where a value was needed)
            self.forget(node)
        if target is not None:
            self.forget(target)
        self.namespace.update(self.pinned)
        for name in assigned(node):  # an unknown value takes the name the notebook gives it
            value = self.namespace.get(name)
            if isinstance(value, Opaque) and value._name.endswith("()"):
                object.__setattr__(value, "_name", name)

    def bind(self, target: ast.expr, value: object) -> None:
        self.namespace["__item"] = value
        self.simple(ast.Assign([target], ast.Name("__item", ast.Load()), lineno=1))
        del self.namespace["__item"]

    def forget(self, node: ast.AST) -> None:
        """What ``node`` would assign becomes unknown (pinned values stay)."""
        for name in assigned(node):
            if name not in self.pinned:
                self.namespace[name] = Opaque(name, self)

    def imports(self, node: ast.Import | ast.ImportFrom) -> None:
        """Modules the notebook imports: the package's are imported, others only if loaded."""
        for alias in node.names:
            module_name = node.module if isinstance(node, ast.ImportFrom) else alias.name
            module = loaded(module_name)
            if isinstance(node, ast.ImportFrom):
                value = getattr(module, alias.name, None) if module else None
                if value is None and module is not None:  # a submodule
                    value = loaded(f"{module_name}.{alias.name}")
                name = alias.asname or alias.name
            elif alias.asname:
                value, name = module, alias.asname
            else:
                name = alias.name.partition(".")[0]
                value = loaded(name)
            if name not in self.pinned:
                self.namespace[name] = (
                    Intercepted(name, None, self) if value is None else self.wrap(name, value)
                )


def compiled(tree: ast.Module | ast.Expression, mode: str):
    """Code for a statement or expression of the notebook (or one put together from its parts,
    which have no positions of their own)."""
    for child in ast.walk(tree):
        for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            with contextlib.suppress(AttributeError):
                delattr(child, attribute)
    return compile(ast.fix_missing_locations(tree), "<notebook>", mode)


def loaded(module_name: str | None) -> ModuleType | None:
    """The module, imported if it is the package's, else only if something imported it."""
    if module_name is None:
        return None
    if module_name in sys.modules:
        return sys.modules[module_name]
    if module_name.partition(".")[0] == "cifar_tutorial":
        return importlib.import_module(module_name)
    return None


def assigned(node: ast.AST) -> list[str]:
    """The names a statement (or a target) assigns, anywhere inside it."""
    names = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.append(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.ClassDef)):
            names.append(child.name)
    return names


def returns_figure(function: object) -> bool:
    """True for a function that draws a figure: annotated to return one, or pyplot's own."""
    import matplotlib.pyplot as plt

    if function in (plt.subplots, plt.figure):
        return True
    try:
        annotation = inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return False
    return annotation == "Figure" or getattr(annotation, "__name__", None) == "Figure"
