"""Colour themes: YAML files that define a Textual theme plus the diff colours.

A theme file (`themes/*.yaml`, bundled, or `$STEPWISE_HOME/themes/*.yaml`)
holds the Textual theme fields (`name`, `dark`, `primary`, `secondary`,
`accent`, `background`, `surface`, `panel`, `foreground`, `success`,
`warning`, `error`, optional `variables`), the Pygments style that colours code
(`pygments_style`), and the diff colours (`diff:` mapping, see `DiffColors`).
User themes override bundled ones with the same `name`. A broken file is
reported in the warnings list and skipped; loading never raises.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

from tui.engine.config.home import bundled_dir, stepwise_home
from tui.engine.errors import StepwiseError

if TYPE_CHECKING:
    from textual.app import App
    from textual.theme import Theme


class ThemeColors(TypedDict, total=False):
    """The Textual theme colours a theme file sets (`primary` is required when parsing)."""

    primary: str
    secondary: str
    accent: str
    background: str
    surface: str
    panel: str
    foreground: str
    success: str
    warning: str
    error: str


THEME_COLOR_KEYS: tuple[str, ...] = tuple(ThemeColors.__annotations__)
_OTHER_KEYS = frozenset({"name", "dark", "variables", "pygments_style", "diff"})


class ThemeError(StepwiseError, ValueError):
    """A theme file is unreadable or invalid; the message names the file and the problem."""


@dataclass(frozen=True)
class DiffColors:
    """Colours of the diff pane, as `#rrggbb` strings."""

    added_bg: str
    removed_bg: str
    added_word_bg: str
    removed_word_bg: str
    hunk_header: str
    line_number: str
    selected_hunk_bg: str

    @classmethod
    def defaults(cls, dark: bool) -> DiffColors:
        """Readable colours for a dark or a light background."""
        if dark:
            return cls(
                added_bg="#1d3b26",
                removed_bg="#46202a",
                added_word_bg="#2f6b3e",
                removed_word_bg="#7d2f40",
                hunk_header="#79b8ff",
                line_number="#6a737d",
                selected_hunk_bg="#2b3a55",
            )
        return cls(
            added_bg="#e6ffec",
            removed_bg="#ffebe9",
            added_word_bg="#abf2bc",
            removed_word_bg="#ffb3ad",
            hunk_header="#0550ae",
            line_number="#8c959f",
            selected_hunk_bg="#ddf4ff",
        )


@dataclass(frozen=True)
class ThemeSpec:
    """One theme: the Textual colours, the Pygments style and the diff colours."""

    name: str
    dark: bool
    colors: ThemeColors
    """Textual theme colours by field name (`primary`, `background`, ...)."""
    pygments_style: str
    diff: DiffColors
    variables: dict[str, str] = field(default_factory=dict)
    source: Path | None = None

    def textual_theme(self) -> Theme:
        """The Textual `Theme` to register with the app."""
        from textual.theme import Theme

        return Theme(name=self.name, dark=self.dark, variables=dict(self.variables), **self.colors)

    def __hash__(self) -> int:
        # dicts are unhashable; the name identifies a loaded theme.
        return hash((self.name, self.source))


def theme_dirs() -> list[Path]:
    """Folders searched for themes, lowest precedence first."""
    return [bundled_dir("themes"), stepwise_home() / "themes"]


def load_themes(
    warnings: list[str] | None = None, dirs: list[Path] | None = None, cache: Path | None = None
) -> dict[str, ThemeSpec]:
    """Load every theme, later folders overriding earlier ones by theme name.

    Args:
        warnings: Receives one message per skipped file or ignored key.
        dirs: Folders to read (default: `theme_dirs()`); missing ones are fine.
        cache: A JSON file of the themes already validated (see `ThemeCache`);
            unchanged files are taken from it instead of being parsed again.

    Returns:
        Themes by name, in load order.
    """
    sink = warnings if warnings is not None else []
    known = ThemeCache(cache)
    themes: dict[str, ThemeSpec] = {}
    for folder in dirs if dirs is not None else theme_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            try:
                spec = known.load(path, sink)
            except ThemeError as error:
                sink.append(f"{error}; theme skipped")
                continue
            themes[spec.name] = spec
    known.save()
    return themes


def register_all(app: App[Any], warnings: list[str] | None = None) -> dict[str, ThemeSpec]:
    """Load all themes and register them with `app` (the app then picks one by name).

    Themes are read through the cache in `$STEPWISE_HOME/cache/themes.json`:
    this runs before the first frame, and parsing YAML and checking Pygments
    styles took about 20 ms of it.

    Args:
        app: The running or about-to-run app.
        warnings: Receives messages about skipped theme files.

    Returns:
        The registered themes by name.
    """
    themes = load_themes(warnings, cache=stepwise_home() / "cache" / "themes.json")
    for spec in themes.values():
        app.register_theme(spec.textual_theme())
    return themes


class ThemeCache:
    """Validated theme files, keyed by path and stamped with their size, inode and change times.

    A file whose stamp matches is taken from the cache with the warnings it
    gave when parsed (its colours checked again, which is cheap); any other
    is parsed and validated (`load_theme_file`). The cache is dropped whole
    when its format, this module (a new stepwise may validate differently)
    or the installed Pygments (whose styles were checked) differ. Broken
    files are never cached, so they are reported on every start. The cache is
    only an accelerator: a missing, corrupt or unwritable file, or an entry
    that does not hold a valid theme, just means parsing.
    """

    VERSION = 1

    def __init__(self, path: Path | None) -> None:
        """Read the cache at `path` (None: no cache at all)."""
        self.path = path
        self._header = self._current_header() if path is not None else []
        self._entries: dict[str, Any] = {}
        self._changed = False
        self._used: set[str] = set()
        if path is None:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("header") == self._header and isinstance(data.get("themes"), dict):
            self._entries = data["themes"]

    @staticmethod
    def _current_header() -> list[object]:
        import pygments

        code = Path(__file__).stat()
        return [ThemeCache.VERSION, code.st_mtime_ns, code.st_size, pygments.__version__]

    def load(self, path: Path, warnings: list[str]) -> ThemeSpec:
        """The theme in `path`, from the cache when the file is unchanged.

        Raises:
            ThemeError: The file cannot be read or is not a valid theme.
        """
        key = str(path)
        self._used.add(key)
        try:
            info = path.stat()
            # The change time and inode too: copies that keep the modification time (`cp -p`) change them.
            stamp = [info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_size]
        except OSError:
            stamp = None
        entry = self._entries.get(key)
        if self.path is not None and stamp is not None and isinstance(entry, dict) and entry.get("stamp") == stamp:
            try:
                spec = _spec_from_json(entry["spec"], path)
            except (AttributeError, KeyError, TypeError, ValueError, ThemeError):
                pass  # an entry edited by hand or half-written: parse the file instead
            else:
                warnings.extend(str(warning) for warning in entry.get("warnings", []))
                return spec
        own: list[str] = []
        spec = load_theme_file(path, own)
        warnings.extend(own)
        if stamp is not None:
            self._entries[key] = {"stamp": stamp, "warnings": own, "spec": _spec_to_json(spec)}
            self._changed = True
        return spec

    def save(self) -> None:
        """Write the cache if anything was parsed or a file went away (best effort, atomically)."""
        if self.path is None:
            return
        gone = self._entries.keys() - self._used
        if not (self._changed or gone):
            return
        for key in gone:
            del self._entries[key]
        data = json.dumps({"header": self._header, "themes": self._entries}, indent=1)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(data, encoding="utf-8")
            os.replace(temp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()


def _spec_to_json(spec: ThemeSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "dark": spec.dark,
        "colors": spec.colors,
        "pygments_style": spec.pygments_style,
        "diff": asdict(spec.diff),
        "variables": spec.variables,
    }


def _spec_from_json(data: dict[str, Any], path: Path) -> ThemeSpec:
    """A cached spec, its colours checked as parsing checks them (raises on anything else)."""
    colors = data["colors"]
    if not isinstance(data["name"], str) or not isinstance(data["dark"], bool) or set(colors) - set(THEME_COLOR_KEYS):
        raise ValueError("not a cached theme")
    return ThemeSpec(
        name=data["name"],
        dark=data["dark"],
        colors=cast(ThemeColors, {key: _checked(path, key, value) for key, value in colors.items()}),
        pygments_style=str(data["pygments_style"]),
        diff=DiffColors(**{f.name: _checked(path, f"diff.{f.name}", data["diff"][f.name]) for f in fields(DiffColors)}),
        variables={str(key): str(value) for key, value in data["variables"].items()},
        source=path,
    )


def load_theme_file(path: Path, warnings: list[str] | None = None) -> ThemeSpec:
    """Parse and validate one theme file.

    Args:
        path: The YAML file.
        warnings: Receives notes about unknown keys (which are ignored).

    Raises:
        ThemeError: The file cannot be read or is not a valid theme.
    """
    import yaml

    try:
        # The C loader (when built) parses the bundled themes in a fraction of the pure-Python time.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError) as error:
        raise ThemeError(f"{path}: cannot read: {error}") from error
    except yaml.YAMLError as error:
        raise ThemeError(f"{path}: invalid YAML: {_one_line(error)}") from error
    if not isinstance(data, dict):
        raise ThemeError(f"{path}: expected a mapping of theme fields, got {type(data).__name__}")
    return _theme_from_mapping(data, path, warnings if warnings is not None else [])


def _theme_from_mapping(data: dict[Any, Any], path: Path, warnings: list[str]) -> ThemeSpec:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f"{path}: 'name' must be a non-empty string")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(f"{path}: 'dark' must be true or false, got {dark!r}")
    if "primary" not in data:
        raise ThemeError(f"{path}: 'primary' colour is required")
    # The keys are THEME_COLOR_KEYS and every value a checked colour: the TypedDict's shape.
    colors = cast(
        ThemeColors, {key: _color(path, key, data[key]) for key in THEME_COLOR_KEYS if data.get(key) is not None}
    )

    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeError(f"{path}: 'variables' must be a mapping")
    variables = {str(key): str(value) for key, value in variables.items()}

    pygments_style = data.get("pygments_style") or default_pygments_style(dark)
    _check_pygments_style(path, pygments_style)

    diff_data = data.get("diff") or {}
    if not isinstance(diff_data, dict):
        raise ThemeError(f"{path}: 'diff' must be a mapping")
    diff_keys = {f.name for f in fields(DiffColors)}
    for key in sorted(set(map(str, diff_data)) - diff_keys):
        warnings.append(f"{path}: unknown diff colour {key!r} ignored (known: {', '.join(sorted(diff_keys))})")
    defaults = DiffColors.defaults(dark)
    diff = DiffColors(
        **{
            key: _color(path, f"diff.{key}", diff_data[key])
            if diff_data.get(key) is not None
            else getattr(defaults, key)
            for key in diff_keys
        }
    )

    for key in sorted(set(map(str, data)) - _OTHER_KEYS - set(THEME_COLOR_KEYS)):
        warnings.append(f"{path}: unknown key {key!r} ignored")
    return ThemeSpec(
        name=name.strip(),
        dark=dark,
        colors=colors,
        pygments_style=pygments_style,
        diff=diff,
        variables=variables,
        source=path,
    )


def _checked(path: Path, key: str, value: object) -> str:
    """`value` as it is, once it is known to be a colour (raises `ThemeError` otherwise)."""
    _color(path, key, value)
    return str(value)


def _color(path: Path, key: str, value: object) -> str:
    """A colour in any form Textual accepts, normalised to `#rrggbb`."""
    from textual.color import Color, ColorParseError

    if not isinstance(value, str):
        raise ThemeError(f"{path}: {key!r} must be a colour string, got {value!r}")
    try:
        return Color.parse(value).hex
    except ColorParseError as error:
        raise ThemeError(f"{path}: {key!r} is not a colour: {value!r}") from error


def _check_pygments_style(path: Path, style: object) -> None:
    from pygments.styles import STYLE_MAP, get_all_styles

    if isinstance(style, str) and style in STYLE_MAP:
        return  # a built-in style: no need to scan the installed plugins (slow, and on the way to the first frame)
    known = sorted(get_all_styles())
    if not isinstance(style, str) or style not in known:
        raise ThemeError(f"{path}: unknown pygments_style {style!r} (available: {', '.join(known)})")


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def theme_spec_of(app: App[Any]) -> ThemeSpec | None:
    """The spec of `app`'s current theme, if it is one of ours.

    The stepwise apps keep the themes they loaded in `theme_specs`; a Textual
    built-in theme (or another app) has no spec.
    """
    spec = getattr(app, "theme_specs", {}).get(app.theme)
    return spec if isinstance(spec, ThemeSpec) else None


def pygments_style_of(app: App[Any]) -> str:
    """The Pygments style for code in `app`'s current theme (Pygments' default for its brightness without a spec)."""
    spec = theme_spec_of(app)
    return spec.pygments_style if spec is not None else default_pygments_style(app.current_theme.dark)


def default_pygments_style(dark: bool) -> str:
    """The Pygments style of a theme that names none."""
    return "monokai" if dark else "default"
