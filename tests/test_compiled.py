"""The session's shared compiled templates (tests/compiled.py) never serve a stale one."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from tests.compiled import SharedBytecode, sharing_bytecode


def test_a_changed_template_is_compiled_afresh(tmp_path: Path) -> None:
    shared = SharedBytecode()
    compiled: list[str] = []

    def make(folder: Path) -> Environment:
        environment = Environment(loader=FileSystemLoader(folder))
        compile_source = environment.compile

        def counted(source: str, *args: object, **kwargs: object) -> object:
            compiled.append(source)
            return compile_source(source, *args, **kwargs)  # type: ignore[call-overload]

        environment.compile = counted  # type: ignore[method-assign, assignment]
        return environment

    made = sharing_bytecode(make, shared)
    page = tmp_path / "page.j2"
    page.write_text("Hallo {{ name }}", encoding="utf-8")
    assert made(tmp_path).get_template("page.j2").render(name="Lena") == "Hallo Lena"
    assert made(tmp_path).get_template("page.j2").render(name="Jonas") == "Hallo Jonas"
    assert compiled == ["Hallo {{ name }}"]  # the second environment loaded the first's code

    page.write_text("Guten Tag {{ name }}", encoding="utf-8")
    assert made(tmp_path).get_template("page.j2").render(name="Lena") == "Guten Tag Lena"
    assert compiled == ["Hallo {{ name }}", "Guten Tag {{ name }}"]
