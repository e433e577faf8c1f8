"""What a lesson's code prints, kept bounded for the window: print's own rules, lines kept whole,
a flood reduced to its last lines and a count of the rest."""

from __future__ import annotations

import io

from app.core.code_output import CUT, MAX_LINE_CHARS, MAX_LINES, CodeOutput, Printed
from app.core.lessons import compile_main


def test_print_keeps_its_own_rules() -> None:
    output = CodeOutput()
    output.print("a", 1, None)
    output.print("b", "c", sep="-", end="!\n")
    output.print("no line end yet", end="")
    output.print(" ...now", sep=None, end=None)
    output.print()
    assert output.take() == Printed(("a 1 None", "b-c!", "no line end yet ...now", ""))
    assert output.take() == Printed(())  # only what is new


def test_print_to_another_file_is_pythons_own() -> None:
    output, elsewhere = CodeOutput(), io.StringIO()
    output.print("to a file", file=elsewhere)
    assert elsewhere.getvalue() == "to a file\n" and output.take() == Printed(())


def test_a_line_without_its_end_is_kept_when_the_code_ends() -> None:
    output = CodeOutput()
    output.print("progress: ", end="")
    output.print("50%", end="")
    assert output.take() == Printed(())
    output.finish()
    assert output.take() == Printed(("progress: 50%",))


def test_a_long_line_is_cut_and_a_flood_keeps_only_its_last_lines() -> None:
    output = CodeOutput()
    output.print("x" * (10 * MAX_LINE_CHARS))
    output.print("y" * MAX_LINE_CHARS, end="")
    output.print("y" * MAX_LINE_CHARS)
    (long, longer), missed = output.take().lines, output.take().missed
    assert long == "x" * MAX_LINE_CHARS + CUT and longer == "y" * MAX_LINE_CHARS + CUT and missed == 0
    for n in range(3 * MAX_LINES):  # a loop of prints
        output.print(n)
    printed = output.take()
    assert len(printed.lines) == MAX_LINES and printed.lines[-1] == str(3 * MAX_LINES - 1)
    assert printed.missed == 2 * MAX_LINES
    output.print("\n".join(str(n) for n in range(10 * MAX_LINES)))  # one print of many lines
    printed = output.take()
    assert printed.lines[-1] == str(10 * MAX_LINES - 1) and len(printed.lines) == MAX_LINES
    assert printed.missed == 9 * MAX_LINES
    assert len(output.text().splitlines()) == MAX_LINES


def test_the_codes_print_goes_to_the_output_and_its_text_is_unchanged() -> None:
    import asyncio

    output = CodeOutput()
    source = "print('top')\n\n\nasync def main():\n    print('<b>in main</b>', end='')\n"
    main = compile_main(source, "playground", output=output)
    asyncio.run(main())
    output.finish()
    assert output.take() == Printed(("top", "<b>in main</b>"))
