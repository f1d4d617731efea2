import os

import pytest

from mailvault.errors import KitError
from mailvault.kit.armor import BEGIN, END, armor, dearmor, is_armored

BLOB = os.urandom(333)


def data_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines()) if line[:1].isdigit()]


def test_round_trip_and_what_a_person_sees() -> None:
    text = armor(BLOB, host="mail.example.com")
    assert is_armored(text) and text.startswith(BEGIN) and text.rstrip().endswith(END)
    assert "Host: mail.example.com" in text
    lines = text.splitlines()
    first = lines[data_lines(text)[0]]
    assert first.startswith("01  ") and first[-6:-4] == " ="
    assert not set(first.split("  ")[1].replace(" ", "")) & set("ILOU")  # no look-alike letters
    assert dearmor(text, name="k") == BLOB


def test_typed_back_with_lower_case_and_look_alikes() -> None:
    text = armor(BLOB, host="h")

    def as_typed(line: str) -> str:  # number kept; body in lower case, 0 typed as o and 1 as l
        number, body = line[:4], line[4:]
        return number + body.lower().replace("0", "o").replace("1", "l")

    typed = "\n".join(as_typed(line) if line[:1].isdigit() else line for line in text.splitlines())
    assert typed != text
    assert dearmor(typed, name="k") == BLOB


def test_a_typo_names_the_line() -> None:
    text = armor(BLOB, host="h")
    lines = text.splitlines()
    where = data_lines(text)[6]  # kit line 7
    line = lines[where]
    pos = 6
    lines[where] = line[:pos] + ("A" if line[pos] != "A" else "B") + line[pos + 1 :]
    with pytest.raises(KitError, match=r"kit line 7 \(line 12 of the file\): its checksum does not match"):
        dearmor("\n".join(lines), name="k")


def test_swapped_missing_and_garbled_lines() -> None:
    text = armor(BLOB, host="h")
    lines = text.splitlines()
    idx = data_lines(text)
    swapped = lines[:]
    swapped[idx[2]], swapped[idx[3]] = swapped[idx[3]], swapped[idx[2]]
    with pytest.raises(KitError, match="kit line 4 where line 3 was expected"):
        dearmor("\n".join(swapped), name="k")
    missing = [line for i, line in enumerate(lines) if i != idx[-1]]
    with pytest.raises(KitError, match=r"kit lines of .*: some are missing"):
        dearmor("\n".join(missing), name="k")
    garbled = lines[:]
    garbled[idx[0]] = "01 this is not it"
    with pytest.raises(KitError, match="not a kit line"):
        dearmor("\n".join(garbled), name="k")
    with pytest.raises(KitError, match="BEGIN or END"):
        dearmor("\n".join(lines[:-1]), name="k")
